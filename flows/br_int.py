"""br-int's flows, one function per flow family (its match helper beside it).

br-int does what Neutron's br-int does with OVSDB port tags and NORMAL, but with explicit flows,
because the controller knows every port's MAC: VM ports are access ports of their network's
local VLAN, same-host traffic is switched here, everything else leaves through patch-tun.
"""
from __future__ import annotations

from cloud.model import TYPE_FLAT
from flows import firewall, fw_rules, neigh
from flows import tables as t
from flows.flow import (ETH_TYPE_ARP, ETH_TYPE_IPV6, ICMPV6_NA, IPPROTO_ICMPV6, MULTICAST,
                        OFPP_IN_PORT, OFPVID_NONE, Flow, Output, PopVlan, PushVlan, SetField,
                        match, prefix, vlan)
from flows.pipeline import INT
from flows.view import NodeView


# --------------------------------------------------------------------- LOCAL_SWITCHING (0)
def _vm_ingress_match(ofport: int):
    return match(in_port=ofport, vlan_vid=OFPVID_NONE)


def vm_ingress(ofport: int, lvid: int, checked: bool = True) -> Flow:
    """Untagged frame from a VM port -> tag with the port's local VLAN -> ARP_SPOOF (a port
    without port security: past anti-spoofing, to LOCAL_RESPONDER)."""
    return INT[t.INT_LOCAL_SWITCHING].flow(t.PRIORITY_VM_INGRESS, _vm_ingress_match(ofport),
                (PushVlan(), SetField("vlan_vid", vlan(lvid))),
                goto=t.ARP_SPOOF if checked else t.LOCAL_RESPONDER)


def _tun_ingress_match(patch_tun: int, lvid: int):
    return match(in_port=patch_tun, vlan_vid=vlan(lvid))


def tun_ingress(patch_tun: int, lvid: int) -> Flow:
    """Frame from br-tun already tagged with one of this node's local VLANs -> TRANSIENT."""
    return INT[t.INT_LOCAL_SWITCHING].flow(t.PRIORITY_TUN_INGRESS,
                                           _tun_ingress_match(patch_tun, lvid), goto=t.TRANSIENT)


def _phys_ingress_match(int_ofport: int, network):
    return match(in_port=int_ofport, vlan_vid=OFPVID_NONE if network.type == TYPE_FLAT
                 else vlan(network.segmentation_id))


def phys_ingress(int_ofport: int, network, lvid: int) -> Flow:
    """A frame of a VLAN network from its physical bridge (int-br-ethN), tagged with the
    provider VLAN: the local VLAN instead -> TRANSIENT; a flat network's, untagged: the
    local VLAN pushed (Neutron's br-int table 0 at priority 3)."""
    actions = ((SetField("vlan_vid", vlan(lvid)),) if network.type != TYPE_FLAT
               else (PushVlan(), SetField("vlan_vid", vlan(lvid))))
    return INT[t.INT_LOCAL_SWITCHING].flow(t.PRIORITY_PHYS_INGRESS,
                                           _phys_ingress_match(int_ofport, network), actions,
                                           goto=t.TRANSIENT)


def phys_drop(int_ofport: int) -> Flow:
    """Anything else from a physical bridge (another network's VLAN, a stray frame):
    dropped, so nothing crosses between physical networks through br-int."""
    return INT[t.INT_LOCAL_SWITCHING].flow(t.PRIORITY_PHYS_DROP, match(in_port=int_ofport))


# --------------------------------------------------------------------------- ARP_SPOOF (24)
def _arp_allowed_match(ofport: int, ip, mac: str):
    if ip is None:  # an allowed pair 0.0.0.0/0: any sender IP (Neutron: no ARP protection)
        return match(in_port=ofport, eth_type=ETH_TYPE_ARP, arp_sha=mac)
    return match(in_port=ofport, eth_type=ETH_TYPE_ARP, arp_spa=ip, arp_sha=mac)


def arp_allowed(ofport: int, ip, mac: str) -> Flow:
    """ARP in which the VM speaks for its own IP and MAC -> MAC_SPOOF."""
    return INT[t.ARP_SPOOF].flow(t.PRIORITY_ARP_ALLOWED, _arp_allowed_match(ofport, ip, mac),
                goto=t.MAC_SPOOF)


def arp_spoofed() -> Flow:
    """Any other ARP from a VM port."""
    return INT[t.ARP_SPOOF].flow(t.PRIORITY_ARP_SPOOFED, match(eth_type=ETH_TYPE_ARP))


def _na_match(**fields):
    return match(eth_type=ETH_TYPE_IPV6, ip_proto=IPPROTO_ICMPV6, icmpv6_type=ICMPV6_NA,
                 **fields)


def na_allowed(ofport: int, ip: str) -> Flow:
    """A neighbour advertisement in which the VM speaks for its own IPv6 -> MAC_SPOOF."""
    return INT[t.ARP_SPOOF].flow(t.PRIORITY_NA_ALLOWED,
                                 _na_match(in_port=ofport, ipv6_nd_target=ip), goto=t.MAC_SPOOF)


def na_spoofed() -> Flow:
    """Any other neighbour advertisement from a VM port."""
    return INT[t.ARP_SPOOF].flow(t.PRIORITY_NA_SPOOFED, _na_match())


def not_arp() -> Flow:
    return INT[t.ARP_SPOOF].miss_flow()


# --------------------------------------------------------------------------- MAC_SPOOF (25)
def _mac_allowed_match(ofport: int, mac: str):
    return match(in_port=ofport, eth_src=mac)


def mac_allowed(ofport: int, mac: str) -> Flow:
    return INT[t.MAC_SPOOF].flow(t.PRIORITY_MAC_ALLOWED, _mac_allowed_match(ofport, mac),
                goto=t.LOCAL_RESPONDER)


# --------------------------------------------------------------------- LOCAL_RESPONDER (26)
def local_arp_responder(lvid: int, ip: str, mac: str) -> Flow:
    """Answer a VM's ARP request for a port of this node; untagged, back to the asker."""
    return INT[t.LOCAL_RESPONDER].flow(t.PRIORITY_LOCAL_ARP, neigh.arp_request_match(lvid, ip),
                neigh.answer_arp(ip, mac) + (PopVlan(), Output(OFPP_IN_PORT)))


def own_arp_goes_on(ofport: int, lvid: int, ip: str) -> Flow:
    """A port asking about its own IP (a gratuitous ARP announcing it, a probe before using
    it) is never answered: it goes on to the network like any broadcast."""
    return INT[t.LOCAL_RESPONDER].flow(t.PRIORITY_OWN_ARP,
                neigh.arp_request_match(lvid, ip, in_port=ofport), goto=t.TRANSIENT)


def local_nd_responder(lvid: int, ip: str, port) -> Flow:
    """Turn a VM's solicitation for a port of this node into an advertisement -> ND_ADVERT."""
    return neigh.nd_responder(INT[t.LOCAL_RESPONDER], lvid, ip, port)


def dad_goes_on() -> Flow:
    return neigh.dad_not_answered(INT[t.LOCAL_RESPONDER], t.TRANSIENT)


def not_answered() -> Flow:
    return INT[t.LOCAL_RESPONDER].miss_flow()


# -------------------------------------------------------------------------- ND_ADVERT (27)
def local_nd_advert(lvid: int, ip: str, mac: str) -> Flow:
    """The advertisement for a local port's `ip` gets its MAC; untagged, back to the asker."""
    return neigh.nd_advert(INT, lvid, ip, mac, (PopVlan(), Output(OFPP_IN_PORT)))


# ---------------------------------------------------- ACCEPTED_EGRESS_TRAFFIC_NORMAL (94)
SWITCHING = t.ACCEPTED_EGRESS_TRAFFIC_NORMAL


def _local_unicast_match(lvid: int, mac: str):
    return match(vlan_vid=vlan(lvid), eth_dst=mac)


def local_unicast(lvid: int, mac: str, ofport: int) -> Flow:
    """To a port on this node: untag and deliver; never reaches br-tun."""
    return INT[SWITCHING].flow(t.PRIORITY_LOCAL_UNICAST, _local_unicast_match(lvid, mac),
                (PopVlan(), Output(ofport)))


def _local_flood_match(lvid: int):
    return match(vlan_vid=vlan(lvid), eth_dst=MULTICAST)


def local_flood(lvid: int, uplink: int | None, ofports: list[int]) -> Flow:
    """Broadcast/multicast: tagged to the uplink (br-tun, or the physical bridge), untagged
    to every port of the VLAN."""
    actions = [Output(uplink)] if uplink is not None else []
    if ofports:
        actions.append(PopVlan())
        actions.extend(Output(p) for p in ofports)
    return INT[SWITCHING].flow(t.PRIORITY_LOCAL_FLOOD, _local_flood_match(lvid), tuple(actions))


def _to_uplink_match(lvid: int):
    return match(vlan_vid=vlan(lvid))


def to_uplink(lvid: int, uplink: int) -> Flow:
    """Unicast to a MAC that is not on this node: hand to br-tun (or the network's physical
    bridge), still tagged."""
    return INT[SWITCHING].flow(t.PRIORITY_TO_UPLINK, _to_uplink_match(lvid), (Output(uplink),))


# ------------------------------------------------------------------------------- all of it
def misses() -> list[Flow]:
    return [INT[table].miss_flow() for table in (t.INT_LOCAL_SWITCHING, t.MAC_SPOOF,
                                                  SWITCHING)] + [
        arp_spoofed(), na_spoofed(), not_arp(), not_answered(), neigh.nd_advert_miss(INT)]


def anti_spoofing(port) -> list[Flow]:
    """What a port with port security may claim: its MACs (its own, its pairs'), ARP for its
    IPv4 addresses and pairs with their MAC, advertisements for its IPv6 ones."""
    ofport, out = port.ofport, []
    out += [mac_allowed(ofport, mac) for mac in firewall.port_macs(port.port)]
    for mac, network in firewall.sources(port.port):
        if network.version == 4:
            out.append(arp_allowed(ofport, prefix(network) if network.prefixlen else None,
                                   mac))
        elif network.version == 6:
            out.append(na_allowed(ofport, prefix(network)))
    return out


def local_port_flows(view: NodeView, port) -> list[Flow]:
    """One VM or router port of this node: its ingress, anti-spoofing, answers, unicast, and
    its firewall flows (flows/firewall.py)."""
    checked = port.port.port_security
    out = [vm_ingress(port.ofport, port.vlan, checked),
           local_unicast(port.vlan, port.port.mac, port.ofport)]
    if checked:
        out += anti_spoofing(port)
    if view.l2pop:
        for ip in neigh.ipv4s(port.port):
            out += [local_arp_responder(port.vlan, ip, port.port.mac),
                    own_arp_goes_on(port.ofport, port.vlan, ip)]
        for ip in neigh.ipv6s(port.port):
            out += [local_nd_responder(port.vlan, ip, port.port),
                    local_nd_advert(port.vlan, ip, port.port.mac)]
    return out + firewall.port_flows(port, view.security)


def network_flows(view: NodeView, net, members: list[int]) -> list[Flow]:
    """One network of this node: from its uplink (br-tun, or its physical bridge), to it,
    its local flood list."""
    out, uplink = [], view.uplink(net.network)
    if uplink is not None:
        out.append(tun_ingress(uplink, net.vlan) if net.network.tunnelled
                   else phys_ingress(uplink, net.network, net.vlan))
        out.append(to_uplink(net.vlan, uplink))
    if members or uplink is not None:
        out.append(local_flood(net.vlan, uplink, members))
    filtered = [p.port for p in view.ports_in(net.vlan) if p.port.filtered]
    return out + firewall.network_flows(net.vlan, filtered, view.security)


def flows(view: NodeView) -> list[Flow]:
    """Misses (unless the view is scoped to one network), then per port, then per network."""
    out = []
    if view.scope is None:
        out += misses() + firewall.base()
        out += [phys_drop(b.int_ofport) for b in view.physical if b.int_ofport is not None]
        if view.l2pop:
            out.append(dad_goes_on())
    for port in view.ports:
        out += local_port_flows(view, port)
    for net in view.networks:
        out += network_flows(view, net, sorted(p.ofport for p in view.ports_in(net.vlan)))
    return fw_rules.merge(out)
