"""Changes to a cloud, as the northbound API asks for them: pure functions on the cloud's
document (the cloud file's shape), each returning the changed document.

An operation checks what only it can know (unknown ids: 404; a network or subnet still in use:
409; attributes it does not take: 400) and fills in what Neutron would allocate (segmentation
id, MAC, fixed IPs). Everything else, every fault the cloud file can have, is found by
validating the whole new document with cloud.schema, by the caller (controller/keeper.py), so
the API and the cloud file refuse exactly the same things.
"""
from __future__ import annotations

import ipaddress
import random
import uuid
from typing import Any

from cloud import values
from cloud.model import SEGMENTATION_MAX, TUNNEL_TYPES, TYPE_VXLAN

Doc = dict[str, Any]
SUBNET_NAMESPACE = uuid.UUID("5d1f4c1e-2b0a-4a53-9f3e-6e7665726c61")
MAC_PREFIX = "fa:16:3e"  # Neutron's default base_mac


class Refused(Exception):
    """A request the cloud cannot take: HTTP status and Neutron-style message."""

    def __init__(self, status: int, message: str):
        self.status, self.message = status, message
        super().__init__(message)


def not_found(kind: str, ident: str) -> Refused:
    return Refused(404, f"{kind.capitalize()} {ident} could not be found.")


def _only(body: Any, kind: str, allowed: set[str], required: tuple[str, ...] = ()) -> dict:
    """The request's attributes: only known ones, every required one."""
    if not isinstance(body, dict) or not isinstance(body.get(kind), dict):
        raise Refused(400, f"Request body must be an object with a '{kind}' object.")
    attrs = body[kind]
    unknown = sorted(set(attrs) - allowed)
    if unknown:
        raise Refused(400, f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    for key in required:
        if key not in attrs:
            raise Refused(400, f"Failed to parse request. Required attribute '{key}' not "
                          "specified")
    return attrs


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


# ------------------------------------------------------------------------------ lookups
def network_entry(doc: Doc, ident: str) -> dict:
    for net in doc["networks"]:
        if ident in (net.get("id"), net.get("name")):
            return net
    raise not_found("network", ident)


def referenced_network(doc: Doc, ident: str) -> dict:
    """A network named in a request's body: unknown is invalid input (400), not a 404."""
    try:
        return network_entry(doc, ident)
    except Refused:
        raise Refused(400, f"Invalid input: network {ident} does not exist.") from None


def port_entry(doc: Doc, ident: str) -> dict:
    for port in doc.get("ports", []):
        if port.get("id") == ident:
            return port
    raise not_found("port", ident)


def ports_of(doc: Doc, net: dict) -> list[dict]:
    return [p for p in doc.get("ports", []) if p.get("network") in (net["id"], net["name"])]


def subnet_id(network_id: str, cidr: str) -> str:
    """Subnets are a network's cidrs; each has a stable id derived from both."""
    return str(uuid.uuid5(SUBNET_NAMESPACE, f"{network_id} {ipaddress.ip_network(cidr)}"))


def subnets(doc: Doc) -> list[tuple[dict, str, str]]:
    """(network entry, cidr, subnet id) of every subnet."""
    return [(net, str(c), subnet_id(net["id"], str(c)))
            for net in doc["networks"] for c in _as_list(net.get("cidr"))]


def subnet_entry(doc: Doc, ident: str) -> tuple[dict, str]:
    for net, cidr, sid in subnets(doc):
        if sid == ident:
            return net, cidr
    raise not_found("subnet", ident)


# ------------------------------------------------------------------------------ networks
NETWORK_ATTRS = {"id", "name", "provider:network_type", "provider:segmentation_id",
                 "admin_state_up", "tenant_id", "project_id"}


def create_network(doc: Doc, body: Any) -> tuple[Doc, str]:
    attrs = _only(body, "network", NETWORK_ATTRS)
    kind = attrs.get("provider:network_type", TYPE_VXLAN)
    if kind not in TUNNEL_TYPES:
        raise Refused(400, f"Invalid network type {kind!r}: this cloud has "
                      f"{', '.join(TUNNEL_TYPES)}.")
    seg = attrs.get("provider:segmentation_id")
    if seg is None:
        taken = {n.get("segmentation_id") for n in doc["networks"] if n.get("type") == kind}
        seg = next(s for s in range(1, SEGMENTATION_MAX[kind] + 1) if s not in taken)
    ident = attrs.get("id") or str(uuid.uuid4())
    doc["networks"].append({"id": ident, "name": attrs.get("name") or f"net-{ident[:8]}",
                            "type": kind, "segmentation_id": seg})
    return doc, ident


def update_network(doc: Doc, ident: str, body: Any) -> Doc:
    """Rename (type and segmentation id are fixed once ports may use them)."""
    attrs = _only(body, "network", {"name"})
    net = network_entry(doc, ident)
    if "name" in attrs:
        old = net["name"]
        net["name"] = attrs["name"]
        for port in doc.get("ports", []):  # ports may refer to their network by name
            if port.get("network") == old:
                port["network"] = net["id"]
    return doc


def delete_network(doc: Doc, ident: str) -> Doc:
    net = network_entry(doc, ident)
    if ports_of(doc, net):
        raise Refused(409, f"Unable to complete operation on network {net['id']}. There are "
                      f"one or more ports still in use on the network.")
    doc["networks"].remove(net)
    return doc


# ------------------------------------------------------------------------------- subnets
SUBNET_ATTRS = {"network_id", "cidr", "ip_version", "gateway_ip", "name", "enable_dhcp",
                "tenant_id", "project_id", "allocation_pools"}


def create_subnet(doc: Doc, body: Any) -> tuple[Doc, str]:
    attrs = _only(body, "subnet", SUBNET_ATTRS, required=("network_id", "cidr"))
    if attrs.get("enable_dhcp"):
        raise Refused(400, "enable_dhcp: DHCP servers come from the cloud file for now; "
                      "subnets created through the API have no DHCP (send enable_dhcp=false)")
    net = referenced_network(doc, str(attrs["network_id"]))
    try:
        cidr = ipaddress.ip_network(str(attrs["cidr"]))
    except ValueError as exc:
        raise Refused(400, f"Invalid input for cidr. Reason: '{attrs['cidr']}' is not a valid "
                      f"IP subnet ({exc}).") from None
    version = attrs.get("ip_version", cidr.version)
    if version != cidr.version:
        raise Refused(400, f"Invalid input: ip_version {version} does not match cidr {cidr}.")
    cidrs = _as_list(net.get("cidr"))
    if any(ipaddress.ip_network(str(c)).version == cidr.version for c in cidrs):
        raise Refused(400, f"Network {net['id']} already has an IPv{cidr.version} subnet; "
                      "this cloud takes one per IP version.")
    net["cidr"] = cidrs + [str(cidr)]
    pools = attrs.get("allocation_pools") or []
    if not isinstance(pools, list) or not all(isinstance(p, dict) and set(p) == {"start", "end"}
                                              for p in pools):
        raise Refused(400, "Invalid input for allocation_pools: a list of {start, end}.")
    if pools:
        net["allocation_pools"] = _as_list(net.get("allocation_pools")) + [
            f"{p['start']}-{p['end']}" for p in pools]
    gateway = attrs.get("gateway_ip", "" if net.get("gateway_ip") else str(cidr[1]))
    if gateway:
        if net.get("gateway_ip"):
            raise Refused(400, f"Network {net['id']} already has gateway "
                          f"{net['gateway_ip']}; this cloud takes one gateway per network.")
        net["gateway_ip"] = str(gateway)
    return doc, subnet_id(net["id"], str(cidr))


def delete_subnet(doc: Doc, ident: str) -> Doc:
    net, cidr = subnet_entry(doc, ident)
    block = ipaddress.ip_network(cidr)
    for port in ports_of(doc, net):
        if any(ipaddress.ip_address(str(ip)) in block for ip in _as_list(port.get("ip"))):
            raise Refused(409, f"Unable to complete operation on subnet {ident}: one or more "
                          "ports have an IP allocation from this subnet.")
    net["cidr"] = [c for c in _as_list(net.get("cidr"))
                   if ipaddress.ip_network(str(c)) != block]
    pools = [p for p in _as_list(net.get("allocation_pools"))
             if values.ip_range(p)[0] not in block]
    if pools:
        net["allocation_pools"] = pools
    else:
        net.pop("allocation_pools", None)
    if not net["cidr"]:
        del net["cidr"]
    gateway = net.get("gateway_ip")
    if gateway is not None and ipaddress.ip_address(str(gateway)) in block:
        del net["gateway_ip"]
    return doc


# --------------------------------------------------------------------------------- ports
PORT_ATTRS = {"id", "name", "network_id", "binding:host_id", "mac_address", "fixed_ips",
              "device_owner", "admin_state_up", "tenant_id", "project_id", "device_id"}
PORT_UPDATE_ATTRS = {"name", "binding:host_id"}


def _free_mac(doc: Doc, rng: random.Random) -> str:
    taken = {str(p.get("mac")).lower() for p in doc.get("ports", [])}
    while True:
        mac = MAC_PREFIX + "".join(":%02x" % rng.randrange(256) for _ in range(3))
        if mac not in taken:
            return mac


def pools_in(pools, cidr) -> list[tuple]:
    """The allocation pools (first, last) of one subnet among a network's; by default its
    hosts from .2 / ::2 (.1 / ::1 being the conventional gateway) to the last."""
    block = ipaddress.ip_network(str(cidr))
    inside = [(first, last) for first, last in pools if first in block]
    if inside or block.num_addresses < 4:
        return inside
    return [(block[2], block[-2])]


def _pools(net: dict) -> list[tuple]:
    return [values.ip_range(text) for text in _as_list(net.get("allocation_pools"))]


def first_free(net: dict, cidr, used: set) -> str:
    """The first address of the network's pools in `cidr` (see pools_in) not in `used`."""
    for first, last in pools_in(_pools(net), cidr):
        ip, tries = first, 0
        while ip <= last and tries < 1 << 20:
            if ip not in used:
                return str(ip)
            ip, tries = ip + 1, tries + 1
    raise Refused(409, f"No more IP addresses available on network {net['id']}.")


def _free_ip(doc: Doc, net: dict, cidr: str) -> str:
    used = {ipaddress.ip_address(str(ip)) for p in ports_of(doc, net)
            for ip in _as_list(p.get("ip"))}
    if net.get("gateway_ip"):
        used.add(ipaddress.ip_address(str(net["gateway_ip"])))
    return first_free(net, cidr, used)


def _fixed_ips(doc: Doc, net: dict, given: Any) -> list[str]:
    cidrs = [c for n, c, _ in subnets(doc) if n is net]
    if given is None:
        return [_free_ip(doc, net, c) for c in cidrs]
    if not isinstance(given, list):
        raise Refused(400, "Invalid input for fixed_ips: must be a list.")
    out = []
    for item in given:
        if not isinstance(item, dict) or not set(item) <= {"ip_address", "subnet_id"}:
            raise Refused(400, f"Invalid input for fixed_ips: {item!r}.")
        if "ip_address" in item:
            out.append(str(item["ip_address"]))
            continue
        cidr = next((c for n, c, sid in subnets(doc) if n is net and sid == item.get("subnet_id")),
                    None)
        if cidr is None:
            raise Refused(400, f"Invalid input for fixed_ips: subnet {item.get('subnet_id')} "
                          f"is not on network {net['id']}.")
        out.append(_free_ip(doc, net, cidr))
    return out


def create_port(doc: Doc, body: Any, rng: random.Random | None = None) -> tuple[Doc, str]:
    attrs = _only(body, "port", PORT_ATTRS, required=("network_id", "binding:host_id"))
    net = referenced_network(doc, str(attrs["network_id"]))
    ident = attrs.get("id") or str(uuid.uuid4())
    entry = {"id": ident, "name": attrs.get("name") or f"vm-{ident[:8]}",
             "network": net["id"], "node": attrs["binding:host_id"],
             "mac": attrs.get("mac_address") or _free_mac(doc, rng or random.Random()),
             "device_owner": attrs.get("device_owner", "compute:nova")}
    ips = _fixed_ips(doc, net, attrs.get("fixed_ips"))
    if ips:
        entry["ip"] = ips
    doc.setdefault("ports", []).append(entry)
    return doc, ident


def update_port(doc: Doc, ident: str, body: Any) -> Doc:
    """Rename, or rebind to another node (a move: same MAC and IPs, new host)."""
    attrs = _only(body, "port", PORT_UPDATE_ATTRS)
    port = port_entry(doc, ident)
    if "name" in attrs:
        port["name"] = attrs["name"]
    if "binding:host_id" in attrs:
        port["node"] = attrs["binding:host_id"]
    return doc


def delete_port(doc: Doc, ident: str) -> Doc:
    from cloud.ops_l3 import delete_port_refs
    port = port_entry(doc, ident)
    delete_port_refs(doc, port)
    doc["ports"].remove(port)
    return doc

