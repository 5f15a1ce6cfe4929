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
import re
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
IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_ICMPV6 = 58
IPPROTO_SCTP = 132
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
IP_FIELDS = {"arp_spa", "arp_tpa", "ipv6_src", "ipv6_dst", "ipv6_nd_target", "ipv4_src",
             "ipv4_dst"}
INT_FIELDS = {"in_port", "eth_type", "vlan_vid", "tunnel_id", "arp_op", "ip_proto",
              "icmpv6_type", "icmpv6_code", "icmpv4_type", "icmpv4_code", "nd_reserved",
              "nd_options_type", "udp_src", "udp_dst", "tcp_src", "tcp_dst", "sctp_src",
              "sctp_dst",
              # the firewall's (Nicira) registers and conntrack fields
              "reg5", "reg6", "reg7", "ct_state", "ct_zone", "ct_mark", "conj_id"}
FIELDS = MAC_FIELDS | IP_FIELDS | INT_FIELDS

# ct_state bits (Nicira), in the order ovs-ofctl prints them
CT_NEW, CT_EST, CT_REL, CT_RPL, CT_INV, CT_TRK = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
CT_STATE_BITS = (("new", CT_NEW), ("est", CT_EST), ("rel", CT_REL), ("rpl", CT_RPL),
                 ("inv", CT_INV), ("trk", CT_TRK))

Value = int | str | tuple
_CT_FLAG = re.compile(r"([+-])([a-z]+)")
Match = tuple[tuple[str, Value], ...]


@lru_cache(maxsize=1 << 16)
def canonical_ip(text: str) -> str:
    """An IPv4 or IPv6 address as a match holds it (ipaddress's text)."""
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
        return canonical_ip(str(value))
    if name in INT_FIELDS:
        return int(value)
    raise ValueError(f"unknown match field {name!r}")


def match(**fields: Any) -> Match:
    """A canonical match: fields sorted by name; masked values as (value, mask) tuples."""
    return tuple(sorted((name, _canonical(name, v)) for name, v in fields.items()))


def ct_state(text: str) -> tuple[int, int]:
    """`+new-est+trk` as the (value, mask) pair a ct_state match holds."""
    value = mask = 0
    bits = dict(CT_STATE_BITS)
    for sign, name in _CT_FLAG.findall(text):
        mask |= bits[name]
        if sign == "+":
            value |= bits[name]
    return (value, mask)


def prefix(network) -> str | tuple[str, str]:
    """An address network as a match value: the address alone for a host, else (address,
    netmask)."""
    address = str(network.network_address)
    if network.prefixlen == network.max_prefixlen:
        return address
    return (address, str(network.netmask))


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


@dataclass(frozen=True)
class Ct:
    """Nicira ct(): send the packet through the connection tracker of the zone held in
    `zone_reg` (bits 0-15), optionally committing the connection (and setting its ct_mark),
    and continue in `table` with the ct_state filled in (a recirculation) or, without a
    table, right after the action with the packet unchanged."""
    zone_reg: str                # the register holding the zone (the firewall's: reg6)
    commit: bool = False
    table: int | None = None
    mark: int | None = None     # with commit: exec(set_field:<mark>->ct_mark)


@dataclass(frozen=True)
class CtClear:
    """Forget the packet's conntrack state (ct_state back to untracked)."""


@dataclass(frozen=True)
class Conjunction:
    """This flow is clause `clause` (1-based) of `n_clauses` of conjunctive match `id`."""
    id: int
    clause: int
    n_clauses: int


Action = Output | PushVlan | PopVlan | SetField | Move | Learn | Ct | CtClear | Conjunction


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
