"""br-tun's flows, Neutron's tables with Neutron's numbers, one function per flow family."""
from __future__ import annotations

from flows import tables as t
from flows.flow import (MULTICAST, UNICAST, Flow, Learn, LearnLoad, LearnMatch, LearnOutput,
                        Output, PopVlan, PushVlan, SetField, match, vlan)
from flows.view import NodeView


# --------------------------------------------------------------------- LOCAL_SWITCHING (0)
def _classify_match(ofport: int):
    return match(in_port=ofport)


def from_patch_int(patch_int: int) -> Flow:
    """Frames from br-int are leaving this node -> PATCH_LV_TO_TUN."""
    return Flow(t.TUN_LOCAL_SWITCHING, t.PRIORITY_CLASSIFY, _classify_match(patch_int),
                goto=t.PATCH_LV_TO_TUN)


def from_tunnel(ofport: int, tunnel_type: str) -> Flow:
    """Frames from a tunnel port -> the table of its type (GRE_TUN_TO_LV / VXLAN_TUN_TO_LV)."""
    return Flow(t.TUN_LOCAL_SWITCHING, t.PRIORITY_CLASSIFY, _classify_match(ofport),
                goto=t.TUN_TO_LV[tunnel_type])


# --------------------------------------------------------------------- PATCH_LV_TO_TUN (2)
def split() -> list[Flow]:
    """Unicast destinations -> UCAST_TO_TUN; broadcast/multicast -> FLOOD_TO_TUN."""
    return [Flow(t.PATCH_LV_TO_TUN, t.PRIORITY_SPLIT, match(eth_dst=UNICAST), goto=t.UCAST_TO_TUN),
            Flow(t.PATCH_LV_TO_TUN, t.PRIORITY_SPLIT, match(eth_dst=MULTICAST),
                 goto=t.FLOOD_TO_TUN)]


# ------------------------------------------------------------- GRE_/VXLAN_TUN_TO_LV (3, 4)
def _tun_to_lv_match(segmentation_id: int):
    return match(tunnel_id=segmentation_id)


def tun_to_lv(tunnel_type: str, segmentation_id: int, lvid: int) -> Flow:
    """A known segmentation id gets its network's local VLAN pushed -> LEARN_FROM_TUN."""
    return Flow(t.TUN_TO_LV[tunnel_type], t.PRIORITY_TUN_TO_LV, _tun_to_lv_match(segmentation_id),
                (PushVlan(), SetField("vlan_vid", vlan(lvid))), goto=t.LEARN_FROM_TUN)


# ---------------------------------------------------------------------- LEARN_FROM_TUN (10)
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
    return Flow(t.LEARN_FROM_TUN, t.PRIORITY_LEARN, (), (learn, Output(patch_int)))


# ------------------------------------------------------------------------ UCAST_TO_TUN (20)
def ucast_miss() -> Flow:
    """Unknown unicast is flooded like a broadcast."""
    return Flow(t.UCAST_TO_TUN, t.PRIORITY_MISS, goto=t.FLOOD_TO_TUN)


# ------------------------------------------------------------------------ FLOOD_TO_TUN (22)
def _flood_to_tun_match(lvid: int):
    return match(vlan_vid=vlan(lvid))


def flood_to_tun(lvid: int, segmentation_id: int, ofports: list[int]) -> Flow:
    """Untag, set the network's tun_id, copy to every tunnel of its flood list."""
    return Flow(t.FLOOD_TO_TUN, t.PRIORITY_FLOOD_TO_TUN, _flood_to_tun_match(lvid),
                (PopVlan(), SetField("tunnel_id", segmentation_id))
                + tuple(Output(p) for p in ofports))


# ------------------------------------------------------------------------------- all of it
def misses() -> list[Flow]:
    return [Flow(table, t.PRIORITY_MISS)
            for table in (t.TUN_LOCAL_SWITCHING, t.GRE_TUN_TO_LV, t.VXLAN_TUN_TO_LV,
                          t.FLOOD_TO_TUN)] + [ucast_miss()]


def flows(view: NodeView) -> list[Flow]:
    out = misses() + split()
    if view.patch_int is not None:
        out.append(from_patch_int(view.patch_int))
        out.append(learn_from_tun(view.patch_int))
    for tunnel in view.tunnels:
        out.append(from_tunnel(tunnel.ofport, tunnel.spec.type))
    for net in view.networks:
        out.append(tun_to_lv(net.network.type, net.network.segmentation_id, net.vlan))
        flood = [tun.ofport for tun in view.flood_tunnels(net.network)]
        if flood:
            out.append(flood_to_tun(net.vlan, net.network.segmentation_id, flood))
    return out
