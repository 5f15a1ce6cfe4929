"""Neutron's attribute maps for the resources this API serves, declared once: which
attributes a request may set on create (POST) and on update (PUT), how a request's value is
converted (Neutron's converters: "7460" is the integer 7460, "True" and "1" are true), and
which attributes a list may be filtered and sorted by. The views (cloud/neutron.py) show every
attribute declared here, in this order; a request naming anything else is refused.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from cloud import values as v
from cloud.errors import Refused

Convert = Callable[[Any], Any]


def to_boolean(value: Any) -> bool:
    """Neutron's convert_to_boolean: true/false (any case), 1/0, as values or strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise ValueError(f"'{value}' cannot be converted to boolean")


def to_int(value: Any) -> int:
    """Neutron's convert_to_int: an integer, or a string of one ("7460")."""
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    raise ValueError(f"'{value}' is not an integer")


def text(value: Any) -> str:
    return v.free_text(value)


def uuid(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"'{value}' is not a valid UUID")
    try:
        return v.uuid_text(value)
    except ValueError:
        raise ValueError(f"'{value}' is not a valid UUID") from None


mapping, listing = v.mapping, v.sequence


def ip(value: Any) -> str:
    return str(v.ip_address(value))


def nullable_ip(value: Any) -> str | None:
    return None if value in (None, "") else ip(value)


def anything(value: Any) -> Any:
    return value


nullable_text, nullable_uuid, nullable_mapping = (v.optional(c) for c in (text, uuid, mapping))


def nullable_int(value: Any) -> int | None:
    return None if value is None else to_int(value)


def direction(value: Any) -> str:
    if value not in ("ingress", "egress"):
        raise ValueError(f"'{value}' is not in ['ingress', 'egress']")
    return value


def ethertype(value: Any) -> str:
    """Neutron's convert_ethertype_to_case_insensitive."""
    for known in ("IPv4", "IPv6"):
        if isinstance(value, str) and value.lower() == known.lower():
            return known
    raise ValueError(f"'{value}' is not in ['IPv4', 'IPv6']")


def protocol(value: Any) -> str | None:
    """Neutron's convert_protocol: a name (any case) or a number, kept as text."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a protocol")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.lower()
    raise ValueError(f"'{value}' is not a protocol")


def ip_prefix(value: Any) -> str | None:
    """Neutron's convert_ip_prefix_to_cidr: an address or a CIDR, as its network."""
    if value is None:
        return None
    try:
        return str(ipaddress.ip_network(str(value), strict=False))
    except ValueError:
        raise ValueError(f"'{value}' is not a valid IP prefix") from None


def uuid_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(f"'{value}' is not a list")
    return [uuid(x) for x in value]


def address_pairs(value: Any) -> list[dict]:
    """[{ip_address, mac_address}], as the allowed-address-pairs extension takes them."""
    if not isinstance(value, list):
        raise ValueError(f"'{value}' is not a list")
    out = []
    for pair in value:
        if not isinstance(pair, dict) or "ip_address" not in pair or \
                not set(pair) <= {"ip_address", "mac_address"}:
            raise ValueError(f"'{pair}' is not an address pair ({{ip_address, mac_address}})")
        out.append({k: str(pair[k]) for k in ("ip_address", "mac_address")
                    if pair.get(k) is not None})
    return out


@dataclass(frozen=True)
class Attr:
    name: str
    post: bool = False         # may be given on create
    put: bool = False          # may be changed by update
    convert: Convert = anything
    filter: bool = True        # lists may be filtered by it
    sort: bool = True          # lists may be sorted by it
    show: bool = True          # views show it (a few are for requests only)

    def __post_init__(self):  # pragma: no mutate block
        if not self.filter:
            object.__setattr__(self, "sort", False)


def _ro(name: str, **kw) -> Attr:  # pragma: no mutate block
    return Attr(name, **kw)


def _rw(name: str, convert: Convert = text, **kw) -> Attr:  # pragma: no mutate block
    return Attr(name, post=True, put=True, convert=convert, **kw)


def _create_only(name: str, convert: Convert = text, **kw) -> Attr:  # pragma: no mutate block
    return Attr(name, post=True, convert=convert, **kw)


STANDARD = (_rw("description"), _ro("tags", filter=False), _ro("created_at"),
            _ro("updated_at"), _ro("revision_number"))
OWNED = (_create_only("tenant_id"), _create_only("project_id"))

NETWORK = (
    _create_only("id", uuid), _rw("name"), _rw("admin_state_up", to_boolean), _ro("status"),
    _ro("subnets", filter=False), _rw("shared", to_boolean), *OWNED,
    _rw("mtu", to_int), _rw("port_security_enabled", to_boolean),
    _create_only("provider:network_type"),
    _create_only("provider:physical_network", nullable_text),
    _create_only("provider:segmentation_id", to_int),
    _rw("router:external", to_boolean),
    _create_only("availability_zone_hints", listing, filter=False),
    _ro("availability_zones", filter=False), _ro("l2_adjacency"), *STANDARD,
)
SUBNET = (
    _create_only("id", uuid), _rw("name"), _create_only("network_id", uuid),
    _create_only("ip_version", to_int), _create_only("cidr"),
    _create_only("prefixlen", to_int, filter=False, show=False),
    _create_only("subnetpool_id", nullable_uuid),
    _create_only("use_default_subnet_pool", to_boolean, filter=False, show=False),
    _rw("allocation_pools", listing, filter=False),
    _rw("dns_nameservers", listing, filter=False), _rw("host_routes", listing, filter=False),
    _rw("gateway_ip", nullable_ip), _rw("enable_dhcp", to_boolean),
    _create_only("ipv6_ra_mode", nullable_text), _create_only("ipv6_address_mode",
                                                              nullable_text),
    *OWNED, *STANDARD,
)
PORT = (
    _create_only("id", uuid), _rw("name"), _create_only("network_id", uuid),
    _rw("admin_state_up", to_boolean), _create_only("mac_address"),
    _rw("fixed_ips", listing), _rw("device_id"), _rw("device_owner"), *OWNED,
    _ro("status"), _rw("binding:host_id"), _rw("binding:profile", nullable_mapping,
                                               filter=False),
    _rw("binding:vnic_type"), _ro("binding:vif_type"),
    _ro("binding:vif_details", filter=False), _rw("port_security_enabled", to_boolean),
    _rw("security_groups", uuid_list, sort=False),
    _rw("allowed_address_pairs", address_pairs, filter=False), *STANDARD,
)
ROUTER = (
    _create_only("id", uuid), _rw("name"), _rw("admin_state_up", to_boolean), _ro("status"),
    *OWNED, _rw("external_gateway_info", nullable_mapping, filter=False),
    _create_only("availability_zone_hints", listing, filter=False),
    _ro("availability_zones", filter=False), *STANDARD,
)
FLOATINGIP = (
    _create_only("id", uuid), _create_only("floating_ip_address", ip),
    _create_only("subnet_id", nullable_uuid, filter=False, show=False),
    _create_only("floating_network_id", uuid),
    _ro("router_id"), _rw("port_id", nullable_uuid), _rw("fixed_ip_address", nullable_ip),
    *OWNED, _ro("status"), *STANDARD,
)
SECURITY_GROUP = (
    _ro("id"), _rw("name"), _rw("stateful", to_boolean), *OWNED,
    _ro("security_group_rules", filter=False), _ro("shared"), *STANDARD,
)
SECURITY_GROUP_RULE = (
    _ro("id"), _create_only("security_group_id", uuid), _create_only("direction", direction),
    _create_only("ethertype", ethertype), _create_only("protocol", protocol),
    _create_only("port_range_min", nullable_int), _create_only("port_range_max", nullable_int),
    _create_only("remote_ip_prefix", ip_prefix), _create_only("remote_group_id", nullable_uuid),
    _create_only("remote_address_group_id", nullable_uuid), _ro("normalized_cidr"),
    _ro("belongs_to_default_sg"), *OWNED, _create_only("description"), _ro("created_at"),
    _ro("updated_at"), _ro("revision_number"),
)
AGENT = tuple(_ro(n) for n in (
    "id", "agent_type", "binary", "topic", "host", "admin_state_up", "alive",
    "availability_zone", "created_at", "started_at", "heartbeat_timestamp", "description",
    "resources_synced")) + (_ro("configurations", filter=False),)
AVAILABILITY_ZONE = (_ro("name"), _ro("resource"), _ro("state"))
NODE = tuple(_ro(n) for n in ("name", "role", "management_ip", "tunnel_ip")) + (
    _ro("bridges", filter=False),)

# collection -> (member name, attributes)
RESOURCES: dict[str, tuple[str, tuple[Attr, ...]]] = {
    "networks": ("network", NETWORK),
    "subnets": ("subnet", SUBNET),
    "ports": ("port", PORT),
    "routers": ("router", ROUTER),
    "floatingips": ("floatingip", FLOATINGIP),
    "security_groups": ("security_group", SECURITY_GROUP),
    "security_group_rules": ("security_group_rule", SECURITY_GROUP_RULE),
    "agents": ("agent", AGENT),
    "availability_zones": ("availability_zone", AVAILABILITY_ZONE),
    "nodes": ("node", NODE),
}
TAGGED = ("networks", "subnets", "ports", "routers", "floatingips", "security_groups")
# collections whose URL is not their name: /v2.0/security-groups serves "security_groups"
PATHS = {"security_groups": "security-groups", "security_group_rules": "security-group-rules"}


def path(coll: str) -> str:
    return PATHS.get(coll, coll)


def attributes(coll: str) -> dict[str, Attr]:
    return {a.name: a for a in RESOURCES[coll][1]}


def shown(coll: str) -> list[str]:
    """The attributes a view of the collection has, in order."""
    return [a.name for a in RESOURCES[coll][1] if a.show]


def member(coll: str) -> str:
    return RESOURCES[coll][0]


def request(coll: str, body: Any, update: bool = False) -> dict:
    """The attributes a create (or update) request sets, converted; 400 for a body of the
    wrong shape, an unknown attribute, one that may not be set this way, or a bad value."""
    kind = member(coll)
    if not isinstance(body, dict) or not isinstance(body.get(kind), dict):
        raise Refused(400, f"Request body must be an object with a '{kind}' object.")
    if len(body) != 1:
        extra = sorted(k for k in body if k != kind)
        raise Refused(400, f"Unrecognized attribute(s) '{', '.join(extra)}' beside '{kind}'")
    declared = attributes(coll)
    given = body[kind]
    unknown = sorted(k for k in given if k not in declared)
    if unknown:
        raise Refused(400, f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    out = {}
    for key, value in given.items():
        attr = declared[key]
        if update and not attr.put:
            raise Refused(400, f"Cannot update read-only attribute {key}")
        if not update and not attr.post:
            raise Refused(400, f"Attribute '{key}' not allowed in POST")
        try:
            out[key] = attr.convert(value)
        except ValueError as exc:
            raise Refused(400, f"Invalid input for {key}. Reason: {exc}.") from None
    project = {out[k] for k in ("tenant_id", "project_id") if k in out}
    if len(project) > 1:
        raise Refused(400, "'project_id' and 'tenant_id' do not match")
    if project:
        out.pop("tenant_id", None)
        try:
            out["project_id"] = v.project_id(project.pop())
        except ValueError as exc:
            raise Refused(400, f"Invalid input for project_id. Reason: {exc}.") from None
    return out
