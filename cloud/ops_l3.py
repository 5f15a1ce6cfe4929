"""Router and floating IP changes, as Neutron's L3 API asks for them: pure functions on the
cloud's document (see cloud/ops.py for the contract; cloud/schema_l3.py checks the result).

    router-create          POST /routers {"router": {name, external_gateway_info}}
    router-gateway-set     PUT  /routers/ID {"router": {"external_gateway_info": {...}}}
    router-interface-add   PUT  /routers/ID/add_router_interface {"subnet_id"}
    router-interface-remove PUT /routers/ID/remove_router_interface {"subnet_id"|"port_id"}
    floatingip-create      POST /floatingips {"floatingip": {floating_network_id, port_id}}
"""
from __future__ import annotations

import ipaddress
import random
import uuid
from typing import Any

from cloud.model import OWNER_ROUTER_INTERFACE
from cloud.ops import (Doc, Refused, _free_mac, _only, first_free, not_found, port_entry,
                       subnet_entry)


def router_entry(doc: Doc, ident: str) -> dict:
    for router in doc.get("routers", []):
        if ident in (router.get("id"), router.get("name")):
            return router
    raise not_found("router", ident)


def floating_ip_entry(doc: Doc, ident: str) -> dict:
    for fip in doc.get("floating_ips", []):
        if fip.get("id") == ident:
            return fip
    raise not_found("floatingip", ident)


def _interfaces(doc: Doc, router: dict) -> list[dict]:
    return [p for p in doc.get("ports", []) if p.get("router") in (router["id"], router["name"])]


def _external(doc: Doc, network_id: Any) -> dict:
    ext = doc.get("external")
    if not isinstance(ext, dict):
        raise Refused(400, "This cloud has no external network.")
    if network_id not in (ext.get("id"), ext.get("name")):
        raise Refused(400, f"Invalid input: network {network_id} is not an external network "
                      f"(this cloud's is {ext.get('id')}).")
    return ext


def _free_external_ip(doc: Doc, ext: dict) -> str:
    taken = [ext.get("gateway_ip")] + [f.get("ip") for f in doc.get("floating_ips", [])]
    taken += [r["gateway"].get("ip") for r in doc.get("routers", [])
              if isinstance(r.get("gateway"), dict)]
    return first_free(ext, ext["cidr"], {ipaddress.ip_address(str(ip)) for ip in taken})


def _gateway(doc: Doc, info: Any, rng: random.Random) -> dict | None:
    """external_gateway_info -> the gateway entry (a new qg port), or None to clear it."""
    if not info:
        return None
    if not isinstance(info, dict) or set(info) - {"network_id", "enable_snat"}:
        raise Refused(400, "Invalid input for external_gateway_info: {network_id}.")
    if info.get("enable_snat", True) is not True:
        raise Refused(400, "enable_snat=false is not emulated: routers always SNAT.")
    ext = _external(doc, info.get("network_id"))
    return {"port_id": str(uuid.uuid4()), "mac": _free_mac(doc, rng),
            "ip": _free_external_ip(doc, ext)}


# ------------------------------------------------------------------------------- routers
ROUTER_ATTRS = {"id", "name", "external_gateway_info", "admin_state_up", "tenant_id",
                "project_id"}


def create_router(doc: Doc, body: Any, rng: random.Random | None = None) -> tuple[Doc, str]:
    attrs = _only(body, "router", ROUTER_ATTRS)
    ident = attrs.get("id") or str(uuid.uuid4())
    entry = {"id": ident, "name": attrs.get("name") or f"router-{ident[:8]}"}
    gateway = _gateway(doc, attrs.get("external_gateway_info"), rng or random.Random())
    if gateway:
        entry["gateway"] = gateway
    doc.setdefault("routers", []).append(entry)
    return doc, ident


def update_router(doc: Doc, ident: str, body: Any, rng: random.Random | None = None) -> Doc:
    """Rename; set, change or clear the gateway (router-gateway-set / -clear)."""
    attrs = _only(body, "router", {"name", "external_gateway_info"})
    router = router_entry(doc, ident)
    if "name" in attrs:
        for port in _interfaces(doc, router):  # interfaces may refer to it by name
            port["router"] = router["id"]
        router["name"] = attrs["name"]
    if "external_gateway_info" in attrs:
        info = attrs["external_gateway_info"]
        if info and router.get("gateway"):  # the same external network: keep port and address
            _external(doc, info.get("network_id"))
        else:  # (clearing a gateway that floating IPs need is refused by the schema)
            router.pop("gateway", None)
            if info:
                router["gateway"] = _gateway(doc, info, rng or random.Random())
    return doc


def delete_router(doc: Doc, ident: str) -> Doc:
    router = router_entry(doc, ident)
    if _interfaces(doc, router):
        raise Refused(409, f"Router {router['id']} still has ports")
    doc["routers"].remove(router)
    return doc


def add_interface(doc: Doc, ident: str, body: Any, rng: random.Random | None = None
                  ) -> tuple[Doc, dict]:
    """A port on the subnet's gateway IP, owned by the router, on the router's node."""
    router = router_entry(doc, ident)
    if not isinstance(body, dict) or set(body) != {"subnet_id"}:
        raise Refused(400, "Bad router request: give exactly subnet_id.")
    net, cidr = subnet_entry(doc, str(body["subnet_id"]))
    block = ipaddress.ip_network(cidr)
    gateway = net.get("gateway_ip")
    if block.version != 4:
        raise Refused(400, "Bad router request: routing is emulated for IPv4 subnets only.")
    if gateway is None or ipaddress.ip_address(str(gateway)) not in block:
        raise Refused(400, "Bad router request: Subnet for router interface must have a "
                      "gateway IP.")
    node = router.get("node") or next((n["name"] for n in doc["nodes"]
                                       if n.get("role") == "network"), None)
    port_id = str(uuid.uuid4())
    doc.setdefault("ports", []).append({
        "id": port_id, "name": f"qr-{port_id[:8]}", "network": net["id"], "node": node,
        "mac": _free_mac(doc, rng or random.Random()), "ip": str(gateway),
        "device_owner": OWNER_ROUTER_INTERFACE, "router": router["id"]})
    return doc, {"id": router["id"], "subnet_id": body["subnet_id"], "port_id": port_id}


def remove_interface(doc: Doc, ident: str, body: Any) -> tuple[Doc, dict]:
    """(Removing an interface that a floating IP needs is refused by the schema.)"""
    router = router_entry(doc, ident)
    if not isinstance(body, dict) or len(body) != 1 or not set(body) <= {"subnet_id",
                                                                          "port_id"}:
        raise Refused(400, "Bad router request: give subnet_id or port_id.")
    mine = _interfaces(doc, router)
    if "port_id" in body:
        found = [p for p in mine if p["id"] == body["port_id"]]
    else:
        net, cidr = subnet_entry(doc, str(body["subnet_id"]))
        found = [p for p in mine if p.get("network") in (net["id"], net["name"])]
    if not found:
        raise Refused(404, f"Router {router['id']} has no interface on "
                      f"{body.get('subnet_id') or body.get('port_id')}.")
    doc["ports"].remove(found[0])
    return doc, {"id": router["id"], "port_id": found[0]["id"]}


# --------------------------------------------------------------------------- floating IPs
FIP_ATTRS = {"id", "floating_network_id", "port_id", "floating_ip_address", "tenant_id",
             "project_id"}


def create_floating_ip(doc: Doc, body: Any) -> tuple[Doc, str]:
    attrs = _only(body, "floatingip", FIP_ATTRS, required=("floating_network_id", "port_id"))
    ext = _external(doc, attrs["floating_network_id"])
    port = port_entry(doc, str(attrs["port_id"]))
    ident = attrs.get("id") or str(uuid.uuid4())
    ip = str(attrs.get("floating_ip_address") or _free_external_ip(doc, ext))
    doc.setdefault("floating_ips", []).append({"id": ident, "ip": ip, "port": port["id"]})
    return doc, ident


def delete_floating_ip(doc: Doc, ident: str) -> Doc:
    doc["floating_ips"].remove(floating_ip_entry(doc, ident))
    return doc


def delete_port_refs(doc: Doc, port: dict) -> None:
    """What deleting a port does to L3: a router's interface cannot be deleted as a port
    (409, as Neutron); the port's floating IP goes with it (Neutron would keep it
    unassociated; this cloud has no unassociated floating IPs)."""
    if port.get("device_owner") == OWNER_ROUTER_INTERFACE:
        raise Refused(409, f"Port {port['id']} cannot be deleted directly via the port API: "
                      f"has device owner {OWNER_ROUTER_INTERFACE}.")
    doc["floating_ips"] = [f for f in doc.get("floating_ips", [])
                           if f.get("port") not in (port["id"], port.get("name"))]
    if not doc["floating_ips"]:
        del doc["floating_ips"]
