"""Neutron's device and namespace names, derived from ids exactly as Neutron derives them."""
from __future__ import annotations

import hashlib
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
# A node's physical bridges (br-eth1, ..., one per bridge mapping) share one declaration of
# their table under this label; it names no bridge of any node.
BR_PHYSICAL = "br-ethN"

# A node's NICs in the emulation: management (OpenFlow, OVSDB), data (the tunnel underlay),
# and on a network node the external network's (br-ex's). A physical network's NIC is any
# other name (eth3, ...).
MGMT_IF, DATA_IF, EXT_IF = "eth0", "eth1", "eth2"
NODE_NICS = (MGMT_IF, DATA_IF, EXT_IF)

IFNAME_MAX_LEN = 15
INTERFACE_HASH_LEN = 6


def interface_name(prefix: str, name: str) -> str:
    """prefix + name, as Neutron names derived devices (int-<bridge>, phy-<bridge>): cut to
    15 characters with the first 6 hex digits of the name's SHA-1 when too long
    (neutron-lib's get_interface_name)."""
    whole = prefix + name
    if len(whole) <= IFNAME_MAX_LEN:
        return whole
    keep = IFNAME_MAX_LEN - len(prefix) - INTERFACE_HASH_LEN
    digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()
    return prefix + name[:keep] + digest[:INTERFACE_HASH_LEN]


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

