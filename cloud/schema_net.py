"""The cloud file's networks and their subnets.

    networks: [{id, name, type, segmentation_id, physical_network, mtu, shared, description,
                project_id, tags,
                subnets: [{id, name, cidr, gateway_ip, allocation_pools, enable_dhcp,
                           dns_nameservers, host_routes, ipv6_address_mode, ipv6_ra_mode,
                           description, project_id, tags}]}]

Checked as Neutron checks them: segmentation ids in range and not taken (VLAN and flat
networks: cloud/schema_phys.py), at most one IPv4 and
one IPv6 subnet per network (this cloud's limit), a gateway inside its subnet and neither its
network nor its broadcast address, allocation pools inside the subnet and clear of the gateway,
IPv6 address modes only on IPv6 subnets and in the combinations Neutron accepts.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import uuid
from typing import Any

from cloud import model
from cloud import values as v
from cloud.checks import Faults, Spec, check_pools, entries, first_seen
from cloud.schema_phys import allocate_vlan, check_segment, physnet_name

# Shared by every resource of the API: what Neutron keeps and this cloud only shows.
META: Spec = {
    "description": (False, v.free_text),
    "project_id": (False, v.project_id),
    "tags": (False, v.tags),
}
NETWORK: Spec = {
    "id": (True, v.uuid_text),
    "name": (False, v.free_text),
    "type": (True, v.choice(*model.NETWORK_TYPES)),
    "segmentation_id": (False, v.integer),           # none: a VLAN from the physnet's ranges
    "physical_network": (False, physnet_name),       # vlan and flat (cloud/schema_phys.py)
    "mtu": (False, v.integer),                       # default: the largest that fits
    "shared": (False, v.boolean),
    "subnets": (False, v.sequence),                  # see SUBNET
    **META,
}
SUBNET: Spec = {
    "id": (False, v.uuid_text),                      # default: derived from network and cidr
    "name": (False, v.free_text),
    "cidr": (True, v.cidr),
    "gateway_ip": (False, v.ip_address),             # none: a subnet without a gateway
    "allocation_pools": (False, v.one_or_many(v.ip_range)),  # "FIRST-LAST", where IPs
                                                              # are allocated automatically
    "enable_dhcp": (False, v.boolean),  # IPv4: needs the network's network:dhcp port
    "dns_nameservers": (False, v.many(v.ip_address)),
    "host_routes": (False, v.many(v.host_route)),
    "ipv6_address_mode": (False, v.optional(v.choice(*model.IPV6_MODES))),
    "ipv6_ra_mode": (False, v.optional(v.choice(*model.IPV6_MODES))),
    **META,
}
SUBNET_NAMESPACE = uuid.UUID("5d1f4c1e-2b0a-4a53-9f3e-6e7665726c61")
MIN_MTU = {4: 68, 6: 1280}


def subnet_id(network_id: str, cidr: Any) -> str:
    """The id of a subnet the cloud file gives none: stable, from its network and cidr."""
    return str(uuid.uuid5(SUBNET_NAMESPACE, f"{network_id} {ipaddress.ip_network(str(cidr))}"))


def meta(f: dict) -> model.Meta:
    return model.Meta(description=f.get("description", ""),
                      project_id=f.get("project_id", model.DEFAULT_PROJECT),
                      tags=f.get("tags", ()))


def networks_of(raw_list: list, faults: Faults,
                physnets: dict[str, model.PhysicalNetwork] | None = None) -> list[model.Network]:
    physnets = physnets or {}
    networks, ids, segments, subnet_ids, unnumbered = [], {}, {}, {}, []
    for label, f in entries("networks", raw_list, NETWORK, faults):
        ok = first_seen(ids, f["id"], label, f"network id {f['id']}", faults)
        ok &= check_segment(label, f, physnets, segments, faults)
        kind = f["type"]
        subnets = _subnets(label, f["id"], f.get("subnets", []), subnet_ids, faults)
        if subnets is None:
            ok = False
        elif len({s.version for s in subnets}) != len(subnets):
            faults.add(label, "at most one IPv4 and one IPv6 subnet per network (this cloud "
                       "does not emulate more)")
            ok = False
        net = model.Network(id=f["id"], name=f.get("name", ""), type=kind,
                            segmentation_id=f.get("segmentation_id"),
                            subnets=tuple(subnets or ()), configured_mtu=f.get("mtu"),
                            shared=f.get("shared", False), meta=meta(f),
                            physical_network=f.get("physical_network"))
        floor = MIN_MTU[6 if net.subnet(6) else 4]
        if "mtu" in f and not floor <= f["mtu"] <= net.max_mtu:
            medium = f"a {model.UNDERLAY_MTU}-byte " + ("underlay" if net.tunnelled else
                                                         "physical network")
            faults.add(label, f"mtu {f['mtu']} out of range for {kind} over {medium} "
                       f"({floor}..{net.max_mtu})")
            ok = False
        if ok:
            if kind == model.TYPE_VLAN and net.segmentation_id is None:
                unnumbered.append((len(networks), label))
            networks.append(net)
    for index, label in unnumbered:   # after every given id is known
        net = networks[index]
        vid = allocate_vlan(label, physnets[net.physical_network], segments, faults)
        networks[index] = dataclasses.replace(net, segmentation_id=vid)
    return networks


def _subnets(net_label: str, network_id: str, raw_list: list, seen: dict,
             faults: Faults) -> list[model.Subnet] | None:
    out, before = [], len(faults.items)
    for label, f in entries(f"{net_label}: subnets", raw_list, SUBNET, faults):
        sid = f.get("id") or subnet_id(network_id, f["cidr"])
        ok = first_seen(seen, sid, label, f"subnet id {sid}", faults)
        ok &= _check_subnet(label, f, faults)
        if ok:
            out.append(model.Subnet(
                id=sid, name=f.get("name", ""), network_id=network_id, cidr=f["cidr"],
                gateway_ip=f.get("gateway_ip"), allocation_pools=f.get("allocation_pools", ()),
                enable_dhcp=f.get("enable_dhcp", False),
                dns_nameservers=f.get("dns_nameservers", ()),
                host_routes=f.get("host_routes", ()),
                ipv6_address_mode=f.get("ipv6_address_mode"),
                ipv6_ra_mode=f.get("ipv6_ra_mode"), meta=meta(f)))
    return out if len(faults.items) == before else None


def _check_subnet(label: str, f: dict, faults: Faults) -> bool:
    cidr, ok = f["cidr"], True
    gateway = f.get("gateway_ip")
    if gateway is not None:
        if gateway not in cidr:
            faults.add(label, f"gateway_ip {gateway} is outside {cidr}")
            ok = False
        elif cidr.num_addresses > 2 and gateway == cidr.network_address:
            faults.add(label, f"gateway_ip {gateway} is the network address of {cidr}")
            ok = False
        elif cidr.version == 4 and cidr.num_addresses > 2 and \
                gateway == cidr.broadcast_address:
            faults.add(label, f"gateway_ip {gateway} is the broadcast address of {cidr}")
            ok = False
    ok &= check_pools(label, f.get("allocation_pools", ()), (cidr,), gateway, faults)
    for ip in f.get("dns_nameservers", ()):
        if ip.version != cidr.version:
            faults.add(label, f"dns_nameserver {ip} is not IPv{cidr.version}")
            ok = False
    for dest, hop in f.get("host_routes", ()):
        if hop.version != cidr.version:
            faults.add(label, f"host route {dest} via {hop} is not IPv{cidr.version}")
            ok = False
    ok &= _check_ipv6_modes(label, cidr, f.get("ipv6_address_mode"), f.get("ipv6_ra_mode"),
                            f.get("enable_dhcp", False), faults)
    return ok


def automatic_address(subnet: model.Subnet) -> bool:
    """Whether the subnet's addresses are the ports' EUI-64 (SLAAC, DHCPv6 stateless)."""
    return subnet.ipv6_address_mode in ("slaac", "dhcpv6-stateless") or (
        subnet.ipv6_address_mode is None and subnet.ipv6_ra_mode in ("slaac",
                                                                     "dhcpv6-stateless"))


def eui64(subnet: model.Subnet, mac: str) -> ipaddress.IPv6Address:
    """The SLAAC address of a MAC in a /64 (modified EUI-64, RFC 4291)."""
    octets = [int(b, 16) for b in mac.split(":")]
    octets[0] ^= 0x02
    iid = bytes(octets[:3] + [0xFF, 0xFE] + octets[3:])
    return subnet.cidr.network_address + int.from_bytes(iid, "big")


def _check_ipv6_modes(label: str, cidr, address_mode, ra_mode, dhcp: bool,
                      faults: Faults) -> bool:
    """Neutron's rules: modes only on IPv6 subnets, with DHCP enabled; both given means
    both equal; SLAAC needs a /64."""
    if address_mode is None and ra_mode is None:
        return True
    if cidr.version != 6:
        faults.add(label, "ipv6_address_mode and ipv6_ra_mode are for IPv6 subnets only")
        return False
    if not dhcp:
        faults.add(label, "ipv6_address_mode and ipv6_ra_mode need enable_dhcp")
        return False
    if address_mode and ra_mode and address_mode != ra_mode:
        faults.add(label, f"ipv6_ra_mode {ra_mode} with ipv6_address_mode {address_mode} is "
                   "not a valid combination (they must be equal when both are set)")
        return False
    if "slaac" in (address_mode, ra_mode) or "dhcpv6-stateless" in (address_mode, ra_mode):
        if cidr.prefixlen != 64:
            faults.add(label, f"SLAAC needs a /64 prefix; {cidr} is not one")
            return False
    return True
