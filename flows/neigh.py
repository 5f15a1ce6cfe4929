"""Neighbour answers in the switch: ARP requests and IPv6 neighbour solicitations turned into
replies, shared by br-int's LOCAL_RESPONDER and br-tun's ARP_RESPONDER.

An ARP reply is one rewrite. An IPv6 neighbour advertisement takes two stages: the responder
turns the solicitation into an advertisement (type, flags, option type, addresses) and hands
it to ND_ADVERT, whose flow matches the advertisement and only there may write the target
link-layer address (OVS checks a set-field's prerequisites against the flow's match, and
rewriting the solicitation's source option in place would be undone by the order in which the
datapath applies ND rewrites).
"""
from __future__ import annotations

import ipaddress

import netaddr

from cloud.model import Port
from flows import tables as t
from flows.flow import (ETH_TYPE_ARP, ETH_TYPE_IPV6, ICMPV6_NA, ICMPV6_NS, IPPROTO_ICMPV6,
                        IPV6_MULTICAST, IPV6_UNSPECIFIED, ND_NA_OVERRIDE, ND_NA_ROUTER,
                        ND_NA_SOLICITED, ND_OPT_TLL, Flow, Move, SetField, canonical_ip, match,
                        vlan)
from flows.pipeline import Table

ROUTER_OWNER_PREFIX = "network:router"


# ------------------------------------------------------------------------------------ ARP
def arp_request_match(lvid: int, ip: str, **more):
    if more:
        return match(eth_type=ETH_TYPE_ARP, vlan_vid=vlan(lvid), arp_op=1, arp_tpa=ip, **more)
    # the same, built in its canonical order (one per port on every node of its network)
    return (("arp_op", 1), ("arp_tpa", canonical_ip(ip)), ("eth_type", ETH_TYPE_ARP),
            ("vlan_vid", vlan(lvid)))


# the parts of every ARP answer that do not depend on the port
_ARP_REPLY = SetField("arp_op", 2)
_SHA_TO_THA = Move("arp_sha", "arp_tha", 48)
_SPA_TO_TPA = Move("arp_spa", "arp_tpa", 32)
_SRC_TO_DST = Move("eth_src", "eth_dst", 48)


def answer_arp(ip: str, mac: str) -> tuple:
    """Turn an ARP request for `ip` into the reply `ip is-at mac`, addressed to the asker."""
    return (_ARP_REPLY, _SHA_TO_THA, _SPA_TO_TPA, SetField("arp_sha", mac),
            SetField("arp_spa", ip), _SRC_TO_DST, SetField("eth_src", mac))


# ------------------------------------------------------------------------------------- ND
def ipv4s(port: Port) -> list[str]:
    return [str(ip) for ip in port.ips if ip.version == 4]


def ipv6s(port: Port) -> list[str]:
    return [str(ip) for ip in port.ips if ip.version == 6]


def link_local(mac: str) -> str:
    """The EUI-64 link-local address a VM derives from its MAC."""
    return str(ipaddress.ip_address(str(netaddr.EUI(mac).ipv6_link_local())))


def na_flags(port: Port) -> int:
    """Solicited and override; router too when the port is a router's."""
    flags = ND_NA_SOLICITED | ND_NA_OVERRIDE
    if port.device_owner.startswith(ROUTER_OWNER_PREFIX):
        flags |= ND_NA_ROUTER
    return flags


def ns_to_responder_match():
    """br-tun PATCH_LV_TO_TUN: a multicast neighbour solicitation from this node."""
    return match(eth_type=ETH_TYPE_IPV6, ip_proto=IPPROTO_ICMPV6, icmpv6_type=ICMPV6_NS,
                 eth_dst=IPV6_MULTICAST)


def ns_match(lvid: int, ip: str):
    return match(eth_type=ETH_TYPE_IPV6, ip_proto=IPPROTO_ICMPV6, icmpv6_type=ICMPV6_NS,
                 eth_dst=IPV6_MULTICAST, vlan_vid=vlan(lvid), ipv6_nd_target=ip)


def dad_match():
    return match(eth_type=ETH_TYPE_IPV6, ip_proto=IPPROTO_ICMPV6, icmpv6_type=ICMPV6_NS,
                 ipv6_src=IPV6_UNSPECIFIED)


def na_match(lvid: int, ip: str):
    return match(eth_type=ETH_TYPE_IPV6, ip_proto=IPPROTO_ICMPV6, icmpv6_type=ICMPV6_NA,
                 vlan_vid=vlan(lvid), ipv6_nd_target=ip)


def start_na(ip: str, mac: str, flags: int) -> tuple:
    """Turn a solicitation for `ip` into an advertisement from it to the asker (stage 1)."""
    return (SetField("icmpv6_type", ICMPV6_NA), SetField("nd_reserved", flags),
            SetField("nd_options_type", ND_OPT_TLL), Move("ipv6_src", "ipv6_dst", 128),
            SetField("ipv6_src", ip), Move("eth_src", "eth_dst", 48), SetField("eth_src", mac))


def nd_responder(table: Table, lvid: int, ip: str, port: Port) -> Flow:
    """Stage 1 of answering a solicitation for `ip`, owned by `port` (in `table`, a
    bridge's responder)."""
    return table.flow(t.PRIORITY_ND_RESPONSE, ns_match(lvid, ip),
                      start_na(ip, port.mac, na_flags(port)), goto=t.ND_ADVERT)


def dad_not_answered(table: Table, goto: int) -> Flow:
    """A duplicate address detection probe goes on unanswered: the real owner must defend."""
    return table.flow(t.PRIORITY_DAD, dad_match(), goto=goto)


def nd_advert(tables: dict[int, Table], lvid: int, ip: str, mac: str, tail: tuple) -> Flow:
    """Stage 2 (in the bridge's ND_ADVERT): the target link-layer address, then `tail`
    (untag if needed, output)."""
    return tables[t.ND_ADVERT].flow(t.PRIORITY_ND_ADVERT, na_match(lvid, ip),
                                    (SetField("ipv6_nd_tll", mac),) + tail)


def nd_advert_miss(tables: dict[int, Table]) -> Flow:
    return tables[t.ND_ADVERT].miss_flow()
