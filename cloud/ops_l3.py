"""Router and floating IP changes, as Neutron's L3 API asks for them (see cloud/ops.py for
the contract; cloud/schema_l3.py checks the result).

    router-create           POST /routers {"router": {name, external_gateway_info}}
    router-gateway-set      PUT  /routers/ID {"router": {"external_gateway_info": {...}}}
    router-interface-add    PUT  /routers/ID/add_router_interface {"subnet_id"|"port_id"}
    router-interface-remove PUT  /routers/ID/remove_router_interface {"subnet_id"|"port_id"}
    floatingip-create       POST /floatingips {"floatingip": {floating_network_id, port_id}}
    floatingip-associate    PUT  /floatingips/ID {"floatingip": {"port_id": ID or null}}
"""
from __future__ import annotations

import ipaddress
import random
import uuid
from typing import Any

from cloud.attributes import to_boolean
from cloud.errors import Refused, not_emulated, not_found
from cloud.model import DEFAULT_PROJECT, OWNER_ROUTER_INTERFACE
from cloud.ops import (AVAILABILITY_ZONE, Doc, as_list, entry, first_free, free_mac,
                       only_true, pools_of, port_entry, ports_of, set_common, subnet_entries,
                       subnet_entry)
from cloud.schema_net import subnet_id


def router_entry(doc: Doc, ident: str) -> dict:
    return entry(doc, "routers", ident, "router")


def floating_ip_entry(doc: Doc, ident: str) -> dict:
    return entry(doc, "floating_ips", ident, "floatingip")


def _interfaces(doc: Doc, router: dict) -> list[dict]:
    return [p for p in doc.get("ports", []) if p.get("router") == router["id"]]


def _external(doc: Doc, network_id: Any) -> dict:
    ext = doc.get("external")
    if isinstance(ext, dict) and network_id == ext.get("id"):
        return ext
    if any(n.get("id") == network_id for n in doc["networks"]):
        raise Refused(400, f"Bad request: network {network_id} is not an external network "
                      f"(this cloud's is {ext.get('id') if isinstance(ext, dict) else 'none'}).")
    raise not_found("network", str(network_id))


def _external_subnet_id(ext: dict) -> str:
    return ext.get("subnet_id") or subnet_id(ext["id"], ext["cidr"])


def _taken_external(doc: Doc, ext: dict) -> set:
    taken = [ext.get("gateway_ip")] + [f.get("ip") for f in doc.get("floating_ips", [])]
    taken += [r["gateway"].get("ip") for r in doc.get("routers", [])
              if isinstance(r.get("gateway"), dict)]
    return {ipaddress.ip_address(str(ip)) for ip in taken if ip}


def _external_ip(doc: Doc, ext: dict, wanted: Any, subnet: Any = None) -> str:
    """An address of the external network: the one asked for (409 if taken), else the
    first free one of its pools."""
    if subnet is not None and subnet != _external_subnet_id(ext):
        raise Refused(400, f"Bad request: subnet {subnet} is not the external network's "
                      f"({_external_subnet_id(ext)}).")
    taken = _taken_external(doc, ext)
    if wanted is not None:
        try:
            ip = ipaddress.ip_address(str(wanted))
        except ValueError:
            raise Refused(400, f"Invalid input: '{wanted}' is not a valid IP address.") from None
        if ip in taken:
            raise Refused(409, f"IP address {ip} already allocated in subnet "
                          f"{_external_subnet_id(ext)}.")
        return str(ip)
    return first_free(pools_of(ext), taken, f"external network {ext['id']}")


def _gateway(doc: Doc, router: dict, info: Any, rng: random.Random) -> dict | None:
    """external_gateway_info -> the gateway entry (the qg port), or None to clear it."""
    if not info:
        return None
    unknown = set(info) - {"network_id", "enable_snat", "external_fixed_ips"}
    if unknown:
        raise Refused(400, f"Invalid input for external_gateway_info. Reason: unexpected "
                      f"key(s) {', '.join(sorted(unknown))}.")
    if "network_id" not in info:
        raise Refused(400, "Invalid input for external_gateway_info. Reason: network_id "
                      "is missing.")
    ext = _external(doc, info["network_id"])
    fixed = info.get("external_fixed_ips") or []
    if not isinstance(fixed, list) or len(fixed) > 1 or \
            any(not isinstance(f, dict) or not set(f) <= {"subnet_id", "ip_address"}
                for f in fixed):
        raise Refused(400, "Invalid input for external_fixed_ips: at most one "
                      "{subnet_id, ip_address} (one external subnet here).")
    try:
        snat = to_boolean(info.get("enable_snat", True))
    except ValueError as exc:
        raise Refused(400, f"Invalid input for enable_snat. Reason: {exc}.") from None
    old = router.get("gateway")
    wanted = fixed[0].get("ip_address") if fixed else None
    if old and (wanted is None or wanted == old.get("ip")):
        gateway = dict(old)    # same network: keep port and address
    else:
        router.pop("gateway", None)   # (its address is free again)
        gateway = {"port_id": str(uuid.uuid4()), "mac": free_mac(doc, rng),
                   "ip": _external_ip(doc, ext, wanted,
                                      fixed[0].get("subnet_id") if fixed else None)}
    if snat:
        gateway.pop("enable_snat", None)
    else:
        gateway["enable_snat"] = False
    return gateway


# ------------------------------------------------------------------------------- routers
def _check_router(attrs: dict) -> None:
    only_true(attrs, "admin_state_up")
    if attrs.get("availability_zone_hints"):
        raise not_emulated(f"availability_zone_hints other than [] (one zone, "
                           f"{AVAILABILITY_ZONE})")


def create_router(doc: Doc, attrs: dict, rng: random.Random | None = None
                  ) -> tuple[Doc, str]:
    _check_router(attrs)
    ident = attrs.get("id") or str(uuid.uuid4())
    router = {"id": ident, "name": ""}
    set_common(router, attrs)
    gateway = _gateway(doc, router, attrs.get("external_gateway_info"),
                       rng or random.Random())
    if gateway:
        router["gateway"] = gateway
    doc.setdefault("routers", []).append(router)
    return doc, ident


def _floating_ips_via(doc: Doc, router: dict, network_id: str | None = None) -> list[dict]:
    """Floating IPs whose port's network the router connects (optionally: this network)."""
    nets = {p["network"] for p in _interfaces(doc, router)}
    if network_id is not None:
        nets &= {network_id}
    ports = {p["id"] for p in doc.get("ports", []) if p.get("network") in nets}
    return [f for f in doc.get("floating_ips", []) if f.get("port") in ports]


def update_router(doc: Doc, ident: str, attrs: dict, rng: random.Random | None = None) -> Doc:
    """Rename; set, change or clear the gateway (router-gateway-set / -clear)."""
    _check_router(attrs)
    router = router_entry(doc, ident)
    set_common(router, attrs)
    if "external_gateway_info" in attrs:
        info = attrs["external_gateway_info"]
        if not info and router.get("gateway") and _floating_ips_via(doc, router):
            raise Refused(409, f"Gateway cannot be updated for router {ident}, since a "
                          "gateway to external network is required by one or more floating "
                          "IPs.")
        gateway = _gateway(doc, router, info, rng or random.Random())
        router.pop("gateway", None)
        if gateway:
            router["gateway"] = gateway
    return doc


def delete_router(doc: Doc, ident: str) -> Doc:
    router = router_entry(doc, ident)
    if _interfaces(doc, router):
        raise Refused(409, f"Router {ident} still has ports")
    doc["routers"].remove(router)
    return doc


def _interface_info(router: dict, port: dict, subnet_id: str) -> dict:
    project = router.get("project_id", DEFAULT_PROJECT)
    return {"id": router["id"], "subnet_id": subnet_id, "subnet_ids": [subnet_id],
            "port_id": port["id"], "network_id": port["network"], "tenant_id": project,
            "project_id": project}


def _interface_subnet(doc: Doc, net: dict, ip: str) -> tuple[dict, str]:
    for n, sub, sid in subnet_entries(doc):
        if n is net and ipaddress.ip_address(ip) in ipaddress.ip_network(str(sub["cidr"])):
            return sub, sid
    raise Refused(400, f"Bad router request: address {ip} is on no subnet.")


def add_interface(doc: Doc, ident: str, body: Any, rng: random.Random | None = None
                  ) -> tuple[Doc, dict]:
    """A port on the subnet's gateway IP ({subnet_id}) or an existing port ({port_id}),
    owned by the router, on the router's node."""
    router = router_entry(doc, ident)
    if not isinstance(body, dict) or len(body) != 1 or not set(body) <= {"subnet_id",
                                                                          "port_id"}:
        raise Refused(400, "Bad router request: Either subnet_id or port_id must be "
                      "specified (and nothing else).")
    node = router.get("node") or next((n["name"] for n in doc["nodes"]
                                       if n.get("role") == "network"), None)
    if "port_id" in body:
        port = port_entry(doc, str(body["port_id"]))
        if port.get("device_owner") or port.get("device_id") or port.get("node"):
            raise Refused(409, f"Port {port['id']} is in use (device owner, device id or "
                          "binding set): an interface port must be free.")
        v4 = [ip for ip in as_list(port.get("ip")) if ipaddress.ip_address(str(ip)).version == 4]
        if len(v4) != 1 or len(as_list(port.get("ip"))) != 1:
            raise Refused(400, "Bad router request: the port needs exactly one IPv4 address "
                          "and no other (routing is emulated for IPv4).")
        net = next(n for n in doc["networks"] if n["id"] == port["network"])
        _, sid = _interface_subnet(doc, net, str(v4[0]))
        _refuse_second(doc, router, sid, net)
        port.update({"node": node, "device_owner": OWNER_ROUTER_INTERFACE,
                     "router": router["id"]})
        port.pop("device_id", None)
        return doc, _interface_info(router, port, sid)
    sid = str(body["subnet_id"])
    net, sub = subnet_entry(doc, sid)
    if ipaddress.ip_network(str(sub["cidr"])).version != 4:
        raise not_emulated("A router interface on an IPv6 subnet (routing is IPv4 here)")
    gateway = sub.get("gateway_ip")
    if gateway is None:
        raise Refused(400, "Bad router request: Subnet for router interface must have a "
                      "gateway IP.")
    _refuse_second(doc, router, sid, net)
    if any(str(gateway) in map(str, as_list(p.get("ip"))) for p in ports_of(doc, net["id"])):
        raise Refused(409, f"IP address {gateway} already allocated in subnet {sid}: the "
                      "subnet's gateway is another router's interface.")
    port_id = str(uuid.uuid4())
    port = {"id": port_id, "name": "", "network": net["id"], "node": node,
            "mac": free_mac(doc, rng or random.Random()), "ip": str(gateway),
            "device_owner": OWNER_ROUTER_INTERFACE, "router": router["id"]}
    if router.get("project_id"):
        port["project_id"] = router["project_id"]
    doc.setdefault("ports", []).append(port)
    return doc, _interface_info(router, port, sid)


def _refuse_second(doc: Doc, router: dict, sid: str, net: dict) -> None:
    for port in _interfaces(doc, router):
        if port["network"] == net["id"]:
            raise Refused(400, f"Bad router request: Router already has a port on subnet "
                          f"{sid}.")


def remove_interface(doc: Doc, ident: str, body: Any) -> tuple[Doc, dict]:
    router = router_entry(doc, ident)
    if not isinstance(body, dict) or not body or not set(body) <= {"subnet_id", "port_id"}:
        raise Refused(400, "Bad router request: Either subnet_id or port_id must be "
                      "specified.")
    mine = _interfaces(doc, router)
    if "subnet_id" in body:
        net, _ = subnet_entry(doc, str(body["subnet_id"]))
        mine = [p for p in mine if p["network"] == net["id"]]
        if not mine:
            raise Refused(404, f"Router {router['id']} has no interface on subnet "
                          f"{body['subnet_id']}.")
    if "port_id" in body:
        mine = [p for p in mine if p["id"] == body["port_id"]]
        if not mine:
            raise Refused(404, f"Router {router['id']} does not have an interface with id "
                          f"{body['port_id']}.")
    port = mine[0]
    if _floating_ips_via(doc, router, port["network"]):
        raise Refused(409, f"Router interface for network {port['network']} on router "
                      f"{router['id']} cannot be deleted, as it is required by one or more "
                      "floating IPs.")
    net = next(n for n in doc["networks"] if n["id"] == port["network"])
    _, sid = _interface_subnet(doc, net, str(as_list(port.get("ip"))[0]))
    doc["ports"].remove(port)
    return doc, _interface_info(router, port, sid)


# --------------------------------------------------------------------------- floating IPs
def _associate(doc: Doc, fip: dict, port_id: Any, fixed_ip: Any) -> None:
    if port_id is None:
        if fixed_ip is not None:
            raise Refused(400, "Bad floatingip request: fixed_ip_address needs port_id.")
        fip.pop("port", None)
        return
    port = port_entry(doc, str(port_id))
    v4 = [str(ip) for ip in as_list(port.get("ip")) if ipaddress.ip_address(str(ip)).version == 4]
    if fixed_ip is not None and str(fixed_ip) not in v4:
        raise Refused(400, f"Bad floatingip request: port {port['id']} does not have fixed "
                      f"IPv4 address {fixed_ip}.")
    if not v4:
        raise Refused(400, f"Bad floatingip request: port {port['id']} has no IPv4 address.")
    other = next((f for f in doc.get("floating_ips", [])
                  if f.get("port") == port["id"] and f is not fip), None)
    if other is not None:
        raise Refused(409, f"Cannot associate floating IP {fip['ip']} ({fip['id']}) with port "
                      f"{port['id']}: it already has floating IP {other['ip']}.")
    via = [r for r in doc.get("routers", []) if r.get("gateway") and any(
        p["network"] == port["network"] for p in _interfaces(doc, r))]
    if not via:
        raise Refused(404, f"External network {doc['external']['id']} is not reachable from "
                      f"port {port['id']}'s network: no router with a gateway has an "
                      "interface on it.")
    fip["port"] = port["id"]


def create_floating_ip(doc: Doc, attrs: dict) -> tuple[Doc, str]:
    if "floating_network_id" not in attrs:
        raise Refused(400, "Failed to parse request. Required attribute "
                      "'floating_network_id' not specified")
    ext = _external(doc, attrs["floating_network_id"])
    ident = attrs.get("id") or str(uuid.uuid4())
    fip = {"id": ident, "ip": _external_ip(doc, ext, attrs.get("floating_ip_address"),
                                           attrs.get("subnet_id"))}
    set_common(fip, attrs)
    _associate(doc, fip, attrs.get("port_id"), attrs.get("fixed_ip_address"))
    doc.setdefault("floating_ips", []).append(fip)
    return doc, ident


def update_floating_ip(doc: Doc, ident: str, attrs: dict) -> Doc:
    """Associate (port_id), disassociate (port_id null), describe."""
    fip = floating_ip_entry(doc, ident)
    set_common(fip, attrs)
    if "port_id" in attrs or "fixed_ip_address" in attrs:
        _associate(doc, fip, attrs.get("port_id", fip.get("port")),
                   attrs.get("fixed_ip_address"))
    return doc


def delete_floating_ip(doc: Doc, ident: str) -> Doc:
    doc["floating_ips"].remove(floating_ip_entry(doc, ident))
    if not doc["floating_ips"]:
        del doc["floating_ips"]
    return doc
