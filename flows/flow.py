"""What a flow is, independent of os-ken and of any switch.

A Flow is a frozen value: table, priority, a canonical match, an apply-actions list, an optional
goto and a cookie. Two flows are the same OpenFlow entry when their `key` (table, priority,
match) is equal; the controller diffs desired against installed flows on that key. The
vocabulary is deliberately small: exactly the shapes the pipeline uses, each of which the
controller can encode (controller/ofmsg.py), ovs-ofctl can render and parse (flows/ofctl.py) and
the table simulator can execute (flows/simulator.py).
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flows.tables import COOKIE

OFPVID_PRESENT = 0x1000
OFPVID_NONE = 0x0000
OFPP_IN_PORT = 0xFFFFFFF8
OFPP_NORMAL = 0xFFFFFFFA

ETH_TYPE_IP = 0x0800
ETH_TYPE_ARP = 0x0806
ETH_TYPE_IPV6 = 0x86DD
ETH_TYPE_8021Q = 0x8100
IPPROTO_UDP = 17
IPPROTO_ICMPV6 = 58
DHCP_SERVER_PORT = 67
ICMPV6_NS = 135              # neighbour solicitation
ICMPV6_NA = 136              # neighbour advertisement
ND_OPT_TLL = 2               # ND option: target link-layer address
ND_NA_ROUTER = 0x80000000    # NA flags, in the ND "reserved" word
ND_NA_SOLICITED = 0x40000000
ND_NA_OVERRIDE = 0x20000000
IPV6_UNSPECIFIED = "::"      # the source of a duplicate address detection probe

BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
# (value, mask) pairs on the Ethernet group bit
UNICAST = ("00:00:00:00:00:00", "01:00:00:00:00:00")
MULTICAST = ("01:00:00:00:00:00", "01:00:00:00:00:00")
IPV6_MULTICAST = ("33:33:00:00:00:00", "ff:ff:00:00:00:00")

# Match fields the pipeline uses (OXM names, as os-ken's OFPMatch takes them) and their kinds.
# nd_reserved and nd_options_type are OVS's Ericsson OXMs (OVS >= 2.11), used to turn a
# neighbour solicitation into an advertisement in the switch.
MAC_FIELDS = {"eth_dst", "eth_src", "arp_sha", "arp_tha", "ipv6_nd_tll"}
IP_FIELDS = {"arp_spa", "arp_tpa", "ipv6_src", "ipv6_dst", "ipv6_nd_target"}
INT_FIELDS = {"in_port", "eth_type", "vlan_vid", "tunnel_id", "arp_op", "ip_proto",
              "icmpv6_type", "nd_reserved", "nd_options_type", "udp_dst"}
FIELDS = MAC_FIELDS | IP_FIELDS | INT_FIELDS

Value = int | str | tuple
Match = tuple[tuple[str, Value], ...]


@lru_cache(maxsize=1 << 16)
def _canonical_ip(text: str) -> str:
    try:  # IPv4 (most of them) without ipaddress's slower parser; strict like it
        return socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, text))
    except OSError:
        return str(ipaddress.ip_address(text))


def _canonical(name: str, value: Any) -> Value:
    if isinstance(value, tuple):
        return tuple(_canonical(name, v) for v in value)
    if name in MAC_FIELDS:
        return str(value).lower()
    if name in IP_FIELDS:
        return _canonical_ip(str(value))
    if name in INT_FIELDS:
        return int(value)
    raise ValueError(f"unknown match field {name!r}")


def match(**fields: Any) -> Match:
    """A canonical match: fields sorted by name; masked values as (value, mask) tuples."""
    return tuple(sorted((name, _canonical(name, v)) for name, v in fields.items()))


def vlan(vid: int) -> int:
    """OpenFlow 1.3 vlan_vid value of an 802.1Q tag with this VLAN id."""
    return OFPVID_PRESENT | vid


# ------------------------------------------------------------------------------- actions
@dataclass(frozen=True)
class Output:
    port: int


@dataclass(frozen=True)
class PushVlan:
    ethertype: int = ETH_TYPE_8021Q


@dataclass(frozen=True)
class PopVlan:
    pass


@dataclass(frozen=True)
class SetField:
    field: str
    value: Value

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _canonical(self.field, self.value))


@dataclass(frozen=True)
class Move:
    """Nicira reg-move: copy a packet field into another (n_bits from bit 0)."""
    src: str
    dst: str
    n_bits: int


# Learn specs (Nicira learn action). Field names are OXM names.
@dataclass(frozen=True)
class LearnMatch:
    """The learned flow matches `dst` equal to this packet's `src` (first n_bits)."""
    dst: str
    src: str
    n_bits: int


@dataclass(frozen=True)
class LearnLoad:
    """The learned flow loads `src` (a field of this packet, or an int constant) into `dst`."""
    dst: str
    src: str | int
    n_bits: int


@dataclass(frozen=True)
class LearnOutput:
    """The learned flow outputs to the port held in `src` of this packet."""
    src: str


@dataclass(frozen=True)
class Learn:
    table: int
    priority: int
    hard_timeout: int
    cookie: int
    specs: tuple[LearnMatch | LearnLoad | LearnOutput, ...]


Action = Output | PushVlan | PopVlan | SetField | Move | Learn


@dataclass(frozen=True, order=False)
class Flow:
    table: int
    priority: int
    match: Match = ()
    actions: tuple[Action, ...] = ()
    goto: int | None = None
    cookie: int = COOKIE

    @property
    def key(self) -> tuple[int, int, Match]:
        """The identity of an OpenFlow entry: what a strict modify or delete addresses."""
        return (self.table, self.priority, self.match)

    @property
    def is_drop(self) -> bool:
        return not self.actions and self.goto is None

    def get(self, name: str, default: Any = None) -> Value:
        for field, value in self.match:
            if field == name:
                return value
        return default
