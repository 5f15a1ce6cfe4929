"""Subnets, and the DHCP port that follows them (see cloud/ops.py for the contract).

    subnet-create   POST /subnets {"subnet": {network_id, cidr, ip_version, gateway_ip,
                                              allocation_pools, enable_dhcp, ...}}
    subnet-update   PUT  /subnets/ID {name, description, gateway_ip, allocation_pools,
                                      dns_nameservers, host_routes, enable_dhcp}

As in Neutron, a subnet has DHCP unless enable_dhcp is false, its gateway is its first host
unless one (or none: null) is given, and its allocation pools are every other host unless
given. While a network has an IPv4 subnet with DHCP, it has one `network:dhcp` port on a
network node with an address there (Neutron's DHCP agent creates it; here the change does,
and the network node's agent starts the qdhcp namespace and dnsmasq for it); the port goes
with the network's last DHCP subnet.
"""
from __future__ import annotations

import ipaddress
import random
import uuid

from cloud.errors import Refused, not_emulated
from cloud.model import OWNER_DHCP, OWNER_ROUTER_INTERFACE
from cloud.schema_net import subnet_id
from cloud.ops import (Doc, as_list, first_free, first_network_node, free_mac, network_entry,
                       pools_of, ports_of, required, set_common, subnet_entry, used_ips)


def _cidr(text, version: int | None):
    """A subnet's cidr, exactly: host bits set are refused, as a likely typo."""
    try:
        iface = ipaddress.ip_interface(str(text))
    except ValueError as exc:
        raise Refused(400, f"Invalid input for cidr. Reason: '{text}' is not a valid IP "
                      f"subnet ({exc}).") from None
    block = iface.network
    if iface.ip != block.network_address:
        raise Refused(400, f"Invalid input for cidr. Reason: '{text}' has host bits set; "
                      f"did you mean '{block}'?")
    if version is not None and version != block.version:
        raise Refused(400, f"Invalid input: ip_version {version} does not match cidr {block}.")
    return block


def _pools(given) -> list[str]:
    out = []
    for pool in given:
        if not isinstance(pool, dict) or set(pool) != {"start", "end"}:
            raise Refused(400, f"Invalid input for allocation_pools. Reason: {pool!r} is not "
                          "{start, end}.")
        out.append(f"{pool['start']}-{pool['end']}")
    return out


def _nameservers(given) -> list[str]:
    out = []
    for ip in given:
        text = str(ip)
        if text in out:
            raise Refused(400, f"Invalid input for dns_nameservers. Reason: duplicate "
                          f"nameserver '{text}'.")
        out.append(text)
    return out


def _routes(given) -> list[dict]:
    for route in given:
        if not isinstance(route, dict) or set(route) != {"destination", "nexthop"}:
            raise Refused(400, f"Invalid input for host_routes. Reason: {route!r} is not "
                          "{destination, nexthop}.")
    return [dict(r) for r in given]


def _set_lists(sub: dict, attrs: dict) -> None:
    if "allocation_pools" in attrs:
        pools = _pools(attrs["allocation_pools"])
        if pools:
            sub["allocation_pools"] = pools
        else:
            sub.pop("allocation_pools", None)
    if "dns_nameservers" in attrs:
        sub["dns_nameservers"] = _nameservers(attrs["dns_nameservers"])
    if "host_routes" in attrs:
        sub["host_routes"] = _routes(attrs["host_routes"])


def create_subnet(doc: Doc, attrs: dict) -> tuple[Doc, str]:
    required(attrs, "network_id")
    if attrs.get("subnetpool_id") or attrs.get("use_default_subnet_pool") or \
            "prefixlen" in attrs:
        raise not_emulated("Subnet pools (subnetpool_id, prefixlen, use_default_subnet_pool)")
    required(attrs, "cidr")
    net = network_entry(doc, attrs["network_id"])
    cidr = _cidr(attrs["cidr"], attrs.get("ip_version"))
    if any(ipaddress.ip_network(str(s["cidr"])).version == cidr.version
           for s in net.get("subnets", [])):
        raise not_emulated(f"A second IPv{cidr.version} subnet on one network (network "
                           f"{net['id']} has one)")
    ident = attrs.get("id") or str(uuid.uuid4())
    sub = {"id": ident, "cidr": str(cidr), "enable_dhcp": attrs.get("enable_dhcp", True)}
    set_common(sub, attrs, net.get("project_id"))
    gateway = attrs.get("gateway_ip", str(cidr[1]) if cidr.num_addresses > 2 else None)
    if gateway is not None:
        sub["gateway_ip"] = gateway
    for key in ("ipv6_address_mode", "ipv6_ra_mode"):
        if attrs.get(key) is not None:
            sub[key] = attrs[key]
    _set_lists(sub, attrs)
    if "allocation_pools" not in sub:  # Neutron keeps the pools it computed
        sub["allocation_pools"] = [f"{a}-{b}" for a, b in pools_of(sub)]
        if not sub["allocation_pools"]:
            del sub["allocation_pools"]
    net.setdefault("subnets", []).append(sub)
    ensure_dhcp_port(doc, net, random.Random())
    return doc, ident


def update_subnet(doc: Doc, ident: str, attrs: dict) -> Doc:
    net, sub = subnet_entry(doc, ident)
    set_common(sub, attrs)
    if "gateway_ip" in attrs and attrs["gateway_ip"] != sub.get("gateway_ip"):
        old = sub.get("gateway_ip")
        if old and any(p.get("device_owner") == OWNER_ROUTER_INTERFACE and
                       old in as_list(p.get("ip")) for p in ports_of(doc, net["id"])):
            raise Refused(409, f"Gateway {old} of subnet {ident} is in use by a router "
                          "interface: remove the interface first.")
        if attrs["gateway_ip"] is None:
            sub.pop("gateway_ip", None)
        else:
            sub["gateway_ip"] = attrs["gateway_ip"]
    _set_lists(sub, attrs)
    if "enable_dhcp" in attrs:
        sub["enable_dhcp"] = attrs["enable_dhcp"]
    ensure_dhcp_port(doc, net, random.Random())
    return doc


def delete_subnet(doc: Doc, ident: str) -> Doc:
    """409 while a port other than the DHCP port has an address in it."""
    net, sub = subnet_entry(doc, ident)
    block = ipaddress.ip_network(str(sub["cidr"]))
    for port in ports_of(doc, net["id"]):
        if port.get("device_owner") == OWNER_DHCP:
            continue
        if any(ipaddress.ip_address(str(ip)) in block for ip in as_list(port.get("ip"))):
            raise Refused(409, f"Unable to complete operation on subnet {ident}: One or more "
                          "ports have an IP allocation from this subnet.")
    net["subnets"].remove(sub)
    for port in ports_of(doc, net["id"]):  # the DHCP port's address in it goes too
        ips = [ip for ip in as_list(port.get("ip"))
               if ipaddress.ip_address(str(ip)) not in block]
        if ips:
            port["ip"] = ips
        else:
            port.pop("ip", None)
    ensure_dhcp_port(doc, net, random.Random())
    return doc


def dhcp_subnet(net: dict) -> dict | None:
    """The network's IPv4 subnet, if it has DHCP (what the DHCP port serves)."""
    return next((s for s in net.get("subnets", []) if s.get("enable_dhcp")
                 and ipaddress.ip_network(str(s["cidr"])).version == 4), None)


def dhcp_device_id(node: str, net_id: str) -> str:
    """Neutron's device_id of a DHCP port: dhcp<uuid5 of the agent's host>-<network id>."""
    return f"dhcp{uuid.uuid5(uuid.NAMESPACE_DNS, node)}-{net_id}"


def ensure_dhcp_port(doc: Doc, net: dict, rng: random.Random) -> None:
    """One network:dhcp port while the network has an IPv4 subnet with DHCP, with an address
    in it; none otherwise."""
    subnet = dhcp_subnet(net)
    mine = [p for p in ports_of(doc, net["id"]) if p.get("device_owner") == OWNER_DHCP]
    if subnet is None:
        doc["ports"] = [p for p in doc.get("ports", []) if p not in mine]
        return
    if mine:   # (it holds an address of the subnet: the schema checks every DHCP port does)
        return
    node = first_network_node(doc)
    if node is None:
        raise Refused(400, "enable_dhcp needs a network node to run the DHCP server, and this "
                      "cloud has none: give enable_dhcp=false.")
    ident = str(uuid.uuid4())
    doc.setdefault("ports", []).append({
        "id": ident, "name": "", "network": net["id"], "node": node,
        "mac": free_mac(doc, rng),
        "ip": [first_free(pools_of(subnet), used_ips(doc, net["id"]),
                          f"subnet {subnet.get('id') or subnet_id(net['id'], subnet['cidr'])}")],
        "device_owner": OWNER_DHCP, "device_id": dhcp_device_id(node, net["id"])})
    if net.get("project_id"):
        doc["ports"][-1]["project_id"] = net["project_id"]

