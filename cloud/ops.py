"""Changes to a cloud, as the northbound API asks for them: pure functions on the cloud's
document (the cloud file's shape), each taking the request's attributes already converted
(cloud/attributes.py) and returning the changed document (and, for creates, the new id).

An operation checks what only it can know (unknown ids: 404; a resource still in use or an
address already taken: 409; what Neutron has and this cloud does not emulate: 400 saying so)
and fills in what Neutron would allocate or default (segmentation id, MAC, fixed IPs, gateway,
allocation pools, the DHCP port). Every other fault the cloud file can have is found by
validating the whole new document with cloud.schema, by the caller (controller/keeper.py), so
the API and the cloud file refuse exactly the same things. The document refers to networks,
routers and ports by id only (the Keeper makes a seed file's names into ids).

This module holds what every kind of change shares (lookups, allocation, project and tags) and
the networks; subnets are in ops_subnets, ports in ops_ports, routers and floating IPs in
ops_l3.
"""
from __future__ import annotations

import ipaddress
import random
import uuid
from typing import Any

from cloud import values
from cloud.errors import Refused, not_emulated, not_found
from cloud.model import DEFAULT_PROJECT, OWNER_DHCP, ROLE_NETWORK
from cloud.ops_segments import segment
from cloud.schema_net import subnet_id as derived_subnet_id
from cloud.schema_sg import default_group_entry
from cloud.security import DEFAULT_GROUP

Doc = dict[str, Any]
MAC_PREFIX = "fa:16:3e"  # Neutron's default base_mac
AVAILABILITY_ZONE = "nova"


# ------------------------------------------------------------------------------ lookups
def indexed_ports(doc: Doc):
    """The in-place path's view of the ports (cloud/inplace.py PendingPorts), which answers
    the lookups below from its index, or None for a plain document."""
    ports = doc.get("ports")
    return ports if getattr(ports, "indexed", False) else None


def entry(doc: Doc, key: str, ident: str, kind: str) -> dict:
    if key == "ports" and (view := indexed_ports(doc)) is not None:
        return view.entry(ident, kind)
    for item in doc.get(key, []):
        if item.get("id") == ident:
            return item
    raise not_found(kind, ident)


def network_entry(doc: Doc, ident: str) -> dict:
    return entry(doc, "networks", ident, "network")


def port_entry(doc: Doc, ident: str) -> dict:
    return entry(doc, "ports", ident, "port")


def ports_of(doc: Doc, net_id: str) -> list[dict]:
    if (view := indexed_ports(doc)) is not None:
        return view.of_network(net_id)
    return [p for p in doc.get("ports", []) if p.get("network") == net_id]


def macs_in_use(doc: Doc):
    """The ports' MACs, lower-case."""
    if (view := indexed_ports(doc)) is not None:
        return view.macs()
    return {str(p.get("mac")).lower() for p in doc.get("ports", [])}


def subnet_entries(doc: Doc) -> list[tuple[dict, dict, str]]:
    """(network entry, subnet entry, subnet id) of every tenant subnet."""
    return [(net, sub, sid) for net in doc["networks"] for sub, sid in subnets_of(net)]


def subnets_of(net: dict) -> list[tuple[dict, str]]:
    """(subnet entry, subnet id) of a network entry's subnets."""
    return [(sub, sub.get("id") or derived_subnet_id(net["id"], sub["cidr"]))
            for sub in net.get("subnets", [])]


def subnet_entry(doc: Doc, ident: str) -> tuple[dict, dict]:
    for net, sub, sid in subnet_entries(doc):
        if sid == ident:
            return net, sub
    raise not_found("subnet", ident)


def first_network_node(doc: Doc) -> str | None:
    return next((n["name"] for n in doc["nodes"] if n.get("role") == ROLE_NETWORK), None)


def required(attrs: dict, *keys: str) -> None:
    for key in keys:
        if key not in attrs:
            raise Refused(400, f"Failed to parse request. Required attribute '{key}' not "
                          "specified")


# ------------------------------------------------------------------ what every entry has
def set_common(item: dict, attrs: dict, inherit: str | None = None) -> None:
    """Name and description when given; on create, the project the request names, else
    `inherit` (a subnet's or port's network's), else none written: the default project."""
    for key in ("name", "description"):
        if key in attrs:
            item[key] = attrs[key]
    project = attrs.get("project_id", inherit)
    if project and project != DEFAULT_PROJECT:
        item["project_id"] = project


def only_true(attrs: dict, *keys: str) -> None:
    """Attributes whose false this cloud does not emulate (a port always forwards, a port
    always has its anti-spoofing)."""
    for key in keys:
        if attrs.get(key, True) is not True:
            raise not_emulated(f"{key}=false")


# ------------------------------------------------------------- each project's default group
def groups(doc: Doc) -> list[dict]:
    return doc.setdefault("security_groups", [])


def ensure_default_group(doc: Doc, project: str) -> dict:
    """The project's default group in the document, written there if it was not."""
    for group in groups(doc):
        if group.get("name") == DEFAULT_GROUP and \
                group.get("project_id", DEFAULT_PROJECT) == project:
            return group
    group = default_group_entry(project)
    groups(doc).append(group)
    return group


# ---------------------------------------------------------------------------- allocation
def free_mac(doc: Doc, rng: random.Random) -> str:
    taken = macs_in_use(doc)
    gateways = {str(r["gateway"].get("mac")).lower() for r in doc.get("routers", [])
                if isinstance(r.get("gateway"), dict)}
    while True:
        mac = MAC_PREFIX + "".join(":%02x" % rng.randrange(256) for _ in range(3))
        if mac not in taken and mac not in gateways:
            return mac


def default_pools(cidr, gateway) -> list[tuple]:
    """Neutron's allocation pools when none are given: every host address of the subnet
    (IPv4: not the network and broadcast addresses; IPv6: not the subnet-router anycast)
    but the gateway."""
    block = ipaddress.ip_network(str(cidr))
    if block.num_addresses <= 2:
        first, last = block[0], block[-1]
    elif block.version == 4:
        first, last = block[1], block[-2]
    else:
        first, last = block[1], block[-1]
    gw = None if gateway is None else ipaddress.ip_address(str(gateway))
    if gw is None or not first <= gw <= last:
        return [(first, last)]
    pools = []
    if gw > first:
        pools.append((first, gw - 1))
    if gw < last:
        pools.append((gw + 1, last))
    return pools


def pools_of(sub: dict) -> list[tuple]:
    """A subnet entry's allocation pools: as given, else Neutron's default."""
    given = sub.get("allocation_pools")
    if given:
        return [values.ip_range(p) for p in as_list(given)]
    return default_pools(sub["cidr"], sub.get("gateway_ip"))


def first_free(pools: list[tuple], used: set, what: str) -> str:
    """The first address of `pools` not in `used`."""
    for first, last in pools:
        ip, tries = first, 0
        while ip <= last and tries < 1 << 20:
            if ip not in used:
                return str(ip)
            ip, tries = ip + 1, tries + 1
    raise Refused(409, f"No more IP addresses available on {what}.")


def used_ips(doc: Doc, net_id: str) -> set:
    used = {ipaddress.ip_address(str(ip)) for p in ports_of(doc, net_id)
            for ip in as_list(p.get("ip"))}
    net = network_entry(doc, net_id)
    used |= {ipaddress.ip_address(str(s["gateway_ip"])) for s in net.get("subnets", [])
             if s.get("gateway_ip")}
    return used


def as_list(value: Any) -> list:
    """A cloud-file key that takes one value or a list of them, as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


# ------------------------------------------------------------------------------ networks
def create_network(doc: Doc, attrs: dict) -> tuple[Doc, str]:
    only_true(attrs, "admin_state_up", "port_security_enabled")
    _refuse_external(attrs)
    ident = attrs.get("id") or str(uuid.uuid4())
    net = {"id": ident, "name": "", **segment(doc, attrs)}
    set_common(net, attrs)
    for key in ("mtu", "shared"):
        if key in attrs:
            net[key] = attrs[key]
    doc["networks"].append(net)
    ensure_default_group(doc, attrs.get("project_id", DEFAULT_PROJECT))
    return doc, ident


def _refuse_external(attrs: dict) -> None:
    if attrs.get("router:external"):
        raise not_emulated("router:external=true on a new network (the cloud's one external "
                           "network comes from its cloud file)")
    if attrs.get("availability_zone_hints"):
        raise not_emulated(f"availability_zone_hints other than [] (one zone, "
                           f"{AVAILABILITY_ZONE})")


def update_network(doc: Doc, ident: str, attrs: dict) -> Doc:
    """Name, description, shared, mtu; type and segmentation id are fixed."""
    net = network_entry(doc, ident)
    only_true(attrs, "admin_state_up", "port_security_enabled")
    if attrs.get("router:external"):
        raise not_emulated("router:external=true on a tenant network")
    set_common(net, attrs)
    for key in ("mtu", "shared"):
        if key in attrs:
            net[key] = attrs[key]
    return doc


def delete_network(doc: Doc, ident: str) -> Doc:
    """With its subnets and DHCP port; 409 while any other port is on it."""
    net = network_entry(doc, ident)
    if any(p.get("device_owner") != OWNER_DHCP for p in ports_of(doc, ident)):
        raise Refused(409, f"Unable to complete operation on network {ident}. There are "
                      "one or more ports still in use on the network.")
    doc["ports"] = [p for p in doc.get("ports", []) if p.get("network") != ident]
    doc["networks"].remove(net)
    return doc


# ---------------------------------------------------------------------------------- tags
DOC_KEYS = {"networks": "networks", "ports": "ports", "routers": "routers",
            "floatingips": "floating_ips", "security_groups": "security_groups"}


def tagged_entry(doc: Doc, coll: str, ident: str) -> dict:
    """The entry of a resource that has tags (networks, subnets, ports, routers, floating
    IPs); the external network's come from its cloud file and have none."""
    if coll == "subnets":
        return subnet_entry(doc, ident)[1]
    if coll == "security_groups":   # (Neutron's word for its 404)
        for group in doc.get("security_groups", []):
            if group.get("id") == ident:
                return group
        raise Refused(404, f"Security group {ident} does not exist")
    return entry(doc, DOC_KEYS[coll], ident, coll[:-1])


def set_tags(doc: Doc, coll: str, ident: str, tags: Any) -> Doc:
    """Neutron's tag extension: the resource's tags become `tags` (each once, no commas)."""
    item = tagged_entry(doc, coll, ident)
    try:
        clean = list(values.tags(tags))
    except ValueError as exc:
        raise Refused(400, f"Invalid input for tags. Reason: {exc}.") from None
    if clean:
        item["tags"] = clean
    else:
        item.pop("tags", None)
    return doc
