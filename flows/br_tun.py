"""br-tun's flows, Neutron's tables with Neutron's numbers, one function per flow family."""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from cloud.model import OWNER_DHCP
from flows import neigh
from flows import tables as t
from flows.flow import (BROADCAST_MAC, DHCP_SERVER_PORT, ETH_TYPE_ARP, ETH_TYPE_IP, IPPROTO_UDP,
                        MULTICAST, OFPP_IN_PORT, UNICAST, Flow,
                        Learn, LearnLoad, LearnMatch, LearnOutput, Output, PopVlan, PushVlan,
                        SetField, match, vlan)
from flows.pipeline import TUN
from flows.view import NodeView


# --------------------------------------------------------------------- LOCAL_SWITCHING (0)
def _classify_match(ofport: int):
    return match(in_port=ofport)


def from_patch_int(patch_int: int) -> Flow:
    """Frames from br-int are leaving this node -> PATCH_LV_TO_TUN."""
    return TUN[t.TUN_LOCAL_SWITCHING].flow(t.PRIORITY_CLASSIFY, _classify_match(patch_int),
                goto=t.PATCH_LV_TO_TUN)


def from_tunnel(ofport: int, tunnel_type: str) -> Flow:
    """Frames from a tunnel port -> the table of its type (GRE_TUN_TO_LV / VXLAN_TUN_TO_LV)."""
    return TUN[t.TUN_LOCAL_SWITCHING].flow(t.PRIORITY_CLASSIFY, _classify_match(ofport),
                goto=t.TUN_TO_LV[tunnel_type])


# --------------------------------------------------------------------- PATCH_LV_TO_TUN (2)
def split() -> list[Flow]:
    """Unicast destinations -> UCAST_TO_TUN; broadcast/multicast -> FLOOD_TO_TUN."""
    table = TUN[t.PATCH_LV_TO_TUN]
    return [table.flow(t.PRIORITY_SPLIT, match(eth_dst=UNICAST), goto=t.UCAST_TO_TUN),
            table.flow(t.PRIORITY_SPLIT, match(eth_dst=MULTICAST),
                 goto=t.FLOOD_TO_TUN)]


def arp_to_responder() -> Flow:
    """Broadcast ARP (L2 population) -> ARP_RESPONDER."""
    return TUN[t.PATCH_LV_TO_TUN].flow(t.PRIORITY_TO_RESPONDER,
                match(eth_dst=BROADCAST_MAC, eth_type=ETH_TYPE_ARP), goto=t.ARP_RESPONDER)


def ns_to_responder() -> Flow:
    """Multicast IPv6 neighbour solicitation (L2 population) -> ARP_RESPONDER."""
    return TUN[t.PATCH_LV_TO_TUN].flow(t.PRIORITY_TO_RESPONDER, neigh.ns_to_responder_match(),
                goto=t.ARP_RESPONDER)


# ------------------------------------------------------------- GRE_/VXLAN_TUN_TO_LV (3, 4)
def _tun_to_lv_match(segmentation_id: int):
    return match(tunnel_id=segmentation_id)


def tun_to_lv(tunnel_type: str, segmentation_id: int, lvid: int) -> Flow:
    """A known segmentation id gets its network's local VLAN pushed -> LEARN_FROM_TUN."""
    return TUN[t.TUN_TO_LV[tunnel_type]].flow(
        t.PRIORITY_TUN_TO_LV, _tun_to_lv_match(segmentation_id),
        (PushVlan(), SetField("vlan_vid", vlan(lvid))), goto=t.LEARN_FROM_TUN)


# ---------------------------------------------------------------------- LEARN_FROM_TUN (10)
def to_patch_int(patch_int: int) -> Flow:
    """With L2 population: nothing to learn, straight to br-int."""
    return TUN[t.LEARN_FROM_TUN].flow(t.PRIORITY_LEARN, (), (Output(patch_int),))


def learn_from_tun(patch_int: int) -> Flow:
    """Learn (local VLAN, source MAC) -> this tunnel and tun_id into UCAST_TO_TUN; to br-int."""
    learn = Learn(
        table=t.UCAST_TO_TUN, priority=t.PRIORITY_LEARNED, hard_timeout=t.LEARNED_HARD_TIMEOUT,
        cookie=t.COOKIE_LEARNED,
        specs=(LearnMatch(dst="vlan_tci", src="vlan_tci", n_bits=12),
               LearnMatch(dst="eth_dst", src="eth_src", n_bits=48),
               LearnLoad(dst="vlan_tci", src=0, n_bits=16),
               LearnLoad(dst="tunnel_id", src="tunnel_id", n_bits=64),
               LearnOutput(src="in_port")))
    return TUN[t.LEARN_FROM_TUN].flow(t.PRIORITY_LEARN, (), (learn, Output(patch_int)))


# ------------------------------------------------------------------------ UCAST_TO_TUN (20)
def _unicast_to_tun_match(lvid: int, mac: str):
    # match(vlan_vid=vlan(lvid), eth_dst=mac), built in its canonical order (one per remote
    # port on every node)
    return (("eth_dst", mac.lower()), ("vlan_vid", vlan(lvid)))


_POP_VLAN = PopVlan()


def unicast_to_tun(lvid: int, segmentation_id: int, mac: str, ofport: int) -> Flow:
    """A remote port's MAC (L2 population) -> untag, set tun_id, its node's tunnel."""
    return TUN[t.UCAST_TO_TUN].flow(t.PRIORITY_L2POP_UCAST, _unicast_to_tun_match(lvid, mac),
                                    _to_tunnel(segmentation_id, ofport))


@lru_cache(maxsize=1 << 14)
def _to_tunnel(segmentation_id: int, ofport: int) -> tuple:
    """Untag, set tun_id, out of the tunnel: the same for every port of a network behind one
    tunnel (made once)."""
    return (_POP_VLAN, SetField("tunnel_id", segmentation_id), Output(ofport))


def ucast_miss() -> Flow:
    """Unknown unicast is flooded like a broadcast."""
    return TUN[t.UCAST_TO_TUN].miss_flow()


# ----------------------------------------------------------------------- ARP_RESPONDER (21)
def arp_responder(lvid: int, ip: str, mac: str) -> Flow:
    """Answer an ARP request for a remote port's `ip`, back out of patch-int (still tagged)."""
    return TUN[t.ARP_RESPONDER].flow(t.PRIORITY_ARP_RESPONSE, neigh.arp_request_match(lvid, ip),
                neigh.answer_arp(ip, mac) + (Output(OFPP_IN_PORT),))


def nd_responder(lvid: int, ip: str, port) -> Flow:
    """Turn a solicitation for a remote port's IPv6 `ip` into an advertisement -> ND_ADVERT."""
    return neigh.nd_responder(TUN[t.ARP_RESPONDER], lvid, ip, port)


def dad_flooded() -> Flow:
    return neigh.dad_not_answered(TUN[t.ARP_RESPONDER], t.FLOOD_TO_TUN)


def arp_responder_miss() -> Flow:
    """An ARP nobody here can answer is flooded."""
    return TUN[t.ARP_RESPONDER].miss_flow()


# ------------------------------------------------------------------------ FLOOD_TO_TUN (22)
def _flood_to_tun_match(lvid: int):
    return match(vlan_vid=vlan(lvid))


def flood_to_tun(lvid: int, segmentation_id: int, ofports: list[int]) -> Flow:
    """Untag, set the network's tun_id, copy to every tunnel of its flood list."""
    return TUN[t.FLOOD_TO_TUN].flow(t.PRIORITY_FLOOD_TO_TUN, _flood_to_tun_match(lvid),
                (PopVlan(), SetField("tunnel_id", segmentation_id))
                + tuple(Output(p) for p in ofports))


# -------------------------------------------------------------------------- ND_ADVERT (27)
def nd_advert(lvid: int, ip: str, mac: str) -> Flow:
    """The advertisement for a remote port's `ip` gets its MAC, back out of patch-int."""
    return neigh.nd_advert(TUN, lvid, ip, mac, (Output(OFPP_IN_PORT),))


def _dhcp_to_server_match(lvid: int):
    return match(eth_type=ETH_TYPE_IP, ip_proto=IPPROTO_UDP, udp_dst=DHCP_SERVER_PORT,
                 vlan_vid=vlan(lvid))


def dhcp_to_server(lvid: int, segmentation_id: int, ofports: list[int]) -> Flow:
    """A DHCP request (a broadcast) of a network with DHCP: only to its server's node."""
    return TUN[t.FLOOD_TO_TUN].flow(t.PRIORITY_DHCP_TO_SERVER, _dhcp_to_server_match(lvid),
                (PopVlan(), SetField("tunnel_id", segmentation_id))
                + tuple(Output(p) for p in ofports))


# ------------------------------------------------------------------------------- all of it
def misses() -> list[Flow]:
    return [TUN[table].miss_flow()
            for table in (t.TUN_LOCAL_SWITCHING, t.GRE_TUN_TO_LV, t.VXLAN_TUN_TO_LV,
                          t.FLOOD_TO_TUN)] + [ucast_miss(), arp_responder_miss(),
                                              neigh.nd_advert_miss(TUN)]


def base(view: NodeView) -> list[Flow]:
    """The node's own flows: misses, the split, the patch port and tunnel classification."""
    out = misses() + split()
    if view.l2pop:
        out += [arp_to_responder(), ns_to_responder(), dad_flooded()]
    if view.patch_int is not None:
        out.append(from_patch_int(view.patch_int))
        out.append(to_patch_int(view.patch_int) if view.l2pop
                   else learn_from_tun(view.patch_int))
    for tunnel in view.tunnels:
        out.append(from_tunnel(tunnel.ofport, tunnel.spec.type))
    return out


def network_flows(view: NodeView, net, remotes) -> list[Flow]:
    """One network of this node: tun_id <-> local VLAN, its flood list, its DHCP server."""
    network = net.network
    out = [tun_to_lv(network.type, network.segmentation_id, net.vlan)]
    flood = [tun.ofport for tun in view.flood_tunnels(network)]
    if flood:
        out.append(flood_to_tun(net.vlan, network.segmentation_id, flood))
    servers = sorted({r.tunnel.ofport for r in remotes if r.port.device_owner == OWNER_DHCP})
    if network.enable_dhcp and servers:
        out.append(dhcp_to_server(net.vlan, network.segmentation_id, servers))
    return out


def remote_port_flows(remote, segmentation_id: int) -> list[Flow]:
    """One port on another node (L2 population): its MAC's tunnel, its ARP/ND answers."""
    port = remote.port
    out = [unicast_to_tun(remote.vlan, segmentation_id, port.mac, remote.tunnel.ofport)]
    for ip in port.ips:   # (IPv4 answers first, as neigh.ipv4s and ipv6s order them)
        if ip.version == 4:
            out.append(arp_responder(remote.vlan, str(ip), port.mac))
    for ip in port.ips:
        if ip.version == 6:
            text = str(ip)
            out += [nd_responder(remote.vlan, text, port), nd_advert(remote.vlan, text, port.mac)]
    return out


def flows(view: NodeView) -> list[Flow]:
    return list(iter_flows(view))


def iter_flows(view: NodeView) -> Iterator[Flow]:
    """Base flows (unless the view is scoped to one network), then per network, then per
    remote port: as they are made (the send path diffs and sends them meanwhile)."""
    if view.scope is None:
        yield from base(view)
    remotes: dict[str, list] = {n.network.id: [] for n in view.tunnelled}
    for remote in view.remote_ports:
        remotes[remote.port.network_id].append(remote)
    for net in view.tunnelled:
        yield from network_flows(view, net, remotes[net.network.id])
        for remote in remotes[net.network.id]:
            yield from remote_port_flows(remote, net.network.segmentation_id)
