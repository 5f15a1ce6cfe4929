"""Ports (see cloud/ops.py for the contract).

    port-create   POST /ports {"port": {network_id, name, binding:host_id, mac_address,
                                        fixed_ips, device_id, device_owner, ...}}
    port-update   PUT  /ports/ID {name, description, binding:host_id (bind, move, or "" to
                                  unbind), fixed_ips, device_id, device_owner, ...}

As in Neutron a port may be created unbound (no binding:host_id: it has its MAC and addresses
and no flows anywhere) and bound later; its addresses are one per subnet of its network
unless fixed_ips says otherwise (the SLAAC address of its MAC on an IPv6 subnet with
automatic addresses); a MAC or an address already taken is a conflict (409). Ports this cloud
owns (DHCP, router interfaces and gateways) are changed through what owns them.
"""
from __future__ import annotations

import ipaddress
import random
import uuid

from cloud.errors import Refused, not_emulated
from cloud.model import OWNER_COMPUTE_PREFIX
from cloud import model
from cloud.ops import (Doc, as_list, first_free, free_mac, macs_in_use, network_entry,
                       only_true, pools_of, port_entry, required, set_common, subnets_of,
                       used_ips)
from cloud.ops_sg import SECURITY_ATTRS, set_port_security
from cloud.schema_net import eui64

VNIC_TYPE = "normal"
OWNED = "network:"   # device owners of ports this cloud creates and removes itself


def _is_auto(sub: dict) -> bool:
    modes = (sub.get("ipv6_address_mode"), sub.get("ipv6_ra_mode"))
    return modes[0] in ("slaac", "dhcpv6-stateless") or (
        modes[0] is None and modes[1] in ("slaac", "dhcpv6-stateless"))


def _auto_address(sub: dict, mac: str) -> str:
    cidr = ipaddress.ip_network(str(sub["cidr"]))
    stub = model.Subnet(id="", name="", network_id="", cidr=cidr)
    return str(eui64(stub, mac))


def fixed_ips(doc: Doc, net: dict, mac: str, given, port: dict | None = None) -> list[str]:
    """The addresses of a port: one per subnet of its network (given None), or as
    fixed_ips asks ({subnet_id} allocates there, {ip_address} takes that address)."""
    subnets = subnets_of(net)
    used = used_ips(doc, net["id"])
    if port is not None:
        used -= {ipaddress.ip_address(str(ip)) for ip in as_list(port.get("ip"))}
    if given is None:
        return [_auto_address(sub, mac) if _is_auto(sub) else
                first_free(pools_of(sub), used, f"subnet {sid}") for sub, sid in subnets]
    out = []
    for item in given:
        if not isinstance(item, dict) or not item or \
                not set(item) <= {"ip_address", "subnet_id"}:
            raise Refused(400, f"Invalid input for fixed_ips. Reason: {item!r} is not "
                          "{ip_address, subnet_id}.")
        if "subnet_id" in item:
            found = [(sub, sid) for sub, sid in subnets if sid == item["subnet_id"]]
            if not found:
                raise Refused(400, f"Invalid input for operation: Failed to create port on "
                              f"network {net['id']}, because fixed_ips included invalid "
                              f"subnet {item['subnet_id']}.")
            sub, sid = found[0]
        if "ip_address" not in item:
            out.append(_auto_address(sub, mac) if _is_auto(sub) else
                       first_free(pools_of(sub), used | {ipaddress.ip_address(o) for o in out},
                                  f"subnet {sid}"))
            continue
        try:
            ip = ipaddress.ip_address(str(item["ip_address"]))
        except ValueError:
            raise Refused(400, f"Invalid input for fixed_ips. Reason: "
                          f"'{item['ip_address']}' is not a valid IP address.") from None
        if "subnet_id" in item and ip not in ipaddress.ip_network(str(sub["cidr"])):
            raise Refused(400, f"Invalid input for fixed_ips. Reason: IP address {ip} is not "
                          f"in subnet {item['subnet_id']} ({sub['cidr']}).")
        if ip in used or str(ip) in out:
            raise Refused(409, f"IP address {ip} already allocated in network {net['id']}.")
        out.append(str(ip))
    return out


def _check_owner(owner: str) -> None:
    if owner.startswith(OWNED):
        raise Refused(400, f"device_owner {owner} is reserved for the ports this cloud makes "
                      "itself (DHCP ports with their subnet, router interfaces through "
                      "add_router_interface, gateways with the router).")
    if owner and not owner.startswith(OWNER_COMPUTE_PREFIX):
        raise not_emulated(f"device_owner {owner!r} (ports are for VMs: compute:<zone> or "
                           "none)")


def _check_common(attrs: dict) -> None:
    only_true(attrs, "admin_state_up")
    vnic = attrs.get("binding:vnic_type", VNIC_TYPE)
    if vnic != VNIC_TYPE:
        raise not_emulated(f"binding:vnic_type {vnic!r} (only {VNIC_TYPE}: OVS ports)")
    if "device_owner" in attrs:
        _check_owner(attrs["device_owner"])


def _set_binding(port: dict, attrs: dict) -> None:
    for key, doc_key in (("device_owner", "device_owner"), ("device_id", "device_id")):
        if key in attrs:
            port[doc_key] = attrs[key]
    if "binding:host_id" in attrs:
        if attrs["binding:host_id"]:
            port["node"] = attrs["binding:host_id"]
        else:
            port.pop("node", None)
    if "binding:profile" in attrs:
        if attrs["binding:profile"]:
            port["binding_profile"] = attrs["binding:profile"]
        else:
            port.pop("binding_profile", None)


def _mac(doc: Doc, attrs: dict, net_id: str) -> str:
    mac = attrs.get("mac_address")
    if mac is None:
        return free_mac(doc, random.Random())
    if str(mac).lower() in macs_in_use(doc):
        raise Refused(409, f"Unable to complete operation for network {net_id}. The mac "
                      f"address {mac} is in use.")
    return str(mac)


def create_port(doc: Doc, attrs: dict) -> tuple[Doc, str]:
    required(attrs, "network_id")
    _check_common(attrs)
    net = network_entry(doc, attrs["network_id"])
    ident = attrs.get("id") or str(uuid.uuid4())
    port = {"id": ident, "name": "", "network": net["id"],
            "mac": _mac(doc, attrs, net["id"]), "device_owner": attrs.get("device_owner", "")}
    set_common(port, attrs, net.get("project_id"))
    _set_binding(port, attrs)
    ips = fixed_ips(doc, net, port["mac"], attrs.get("fixed_ips"))
    if ips:
        port["ip"] = ips
    set_port_security(doc, port, attrs, creating=True)
    doc.setdefault("ports", []).append(port)
    return doc, ident


def update_port(doc: Doc, ident: str, attrs: dict) -> Doc:
    """Rename, bind, rebind (a move: same MAC and addresses, another node) or unbind, new
    fixed IPs, new device owner or id."""
    port = port_entry(doc, ident)
    owner = port.get("device_owner", "")
    if owner.startswith(OWNED) and set(attrs) - {"name", "description"}:
        raise Refused(409, f"Port {ident} has device owner {owner}: it follows what owns it "
                      "(only its name and description may change).")
    _check_common(attrs)
    set_common(port, attrs)
    _set_binding(port, attrs)
    if "fixed_ips" in attrs:
        net = network_entry(doc, port["network"])
        ips = fixed_ips(doc, net, port["mac"], attrs["fixed_ips"], port)
        if ips:
            port["ip"] = ips
        else:
            port.pop("ip", None)
    if SECURITY_ATTRS & set(attrs):
        set_port_security(doc, port, attrs)
    return doc


def delete_port(doc: Doc, ident: str) -> Doc:
    """Its floating IP stays, unassociated (as in Neutron)."""
    port = port_entry(doc, ident)
    owner = port.get("device_owner", "")
    if owner.startswith(OWNED):
        raise Refused(409, f"Port {ident} cannot be deleted directly via the port API: has "
                      f"device owner {owner}.")
    for fip in doc.get("floating_ips", []):
        if fip.get("port") == ident:
            del fip["port"]
    doc["ports"].remove(port)
    return doc

