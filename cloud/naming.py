"""Neutron's device and namespace names, derived from ids exactly as Neutron derives them."""
from __future__ import annotations

import ipaddress

# Linux interface names are at most 15 characters: Neutron keeps a 3-4 character prefix and the
# first 11 characters of the port id.
DEVICE_ID_LEN = 11

BR_INT = "br-int"
BR_TUN = "br-tun"
BR_EX = "br-ex"
# Holds the node's tunnel endpoint IP: OVS's userspace tunnelling routes encapsulated packets
# through an OVS bridge that owns the underlay address (not part of Neutron's kernel-datapath
# layout; the same role as the physical bridge of an OVS-DPDK deployment).
BR_PHY = "br-phy"

PATCH_TUN = "patch-tun"  # on br-int, peer of patch-int
PATCH_INT = "patch-int"  # on br-tun, peer of patch-tun


def tap_name(port_id: str) -> str:
    return "tap" + port_id[:DEVICE_ID_LEN]


def tunnel_port_name(tunnel_type: str, remote_ip) -> str:
    """`vxlan-c0a8640c`: the type and the remote endpoint's IPv4 address in hex."""
    return "%s-%08x" % (tunnel_type, int(ipaddress.IPv4Address(str(remote_ip))))


def parse_tunnel_port_name(name: str) -> tuple[str, ipaddress.IPv4Address] | None:
    """Inverse of tunnel_port_name; None for any other port name."""
    kind, sep, hexip = name.partition("-")
    if not sep or kind not in ("vxlan", "gre") or len(hexip) != 8:
        return None
    try:
        return kind, ipaddress.IPv4Address(int(hexip, 16))
    except ValueError:
        return None

