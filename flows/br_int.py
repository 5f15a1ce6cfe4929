"""br-int's flows, one function per flow family (its match helper beside it).

br-int does what Neutron's br-int does with OVSDB port tags and NORMAL, but with explicit flows,
because the controller knows every port's MAC: VM ports are access ports of their network's
local VLAN, same-host traffic is switched here, everything else leaves through patch-tun.
"""
from __future__ import annotations

from flows import tables as t
from flows.flow import (MULTICAST, OFPVID_NONE, Flow, Output, PopVlan, PushVlan, SetField,
                        match, vlan)
from flows.view import NodeView


# --------------------------------------------------------------------- LOCAL_SWITCHING (0)
def _vm_ingress_match(ofport: int):
    return match(in_port=ofport, vlan_vid=OFPVID_NONE)


def vm_ingress(ofport: int, lvid: int) -> Flow:
    """Untagged frame from a VM port -> tag with the port's local VLAN -> TRANSIENT."""
    return Flow(t.INT_LOCAL_SWITCHING, t.PRIORITY_VM_INGRESS, _vm_ingress_match(ofport),
                (PushVlan(), SetField("vlan_vid", vlan(lvid))), goto=t.TRANSIENT)


def _tun_ingress_match(patch_tun: int, lvid: int):
    return match(in_port=patch_tun, vlan_vid=vlan(lvid))


def tun_ingress(patch_tun: int, lvid: int) -> Flow:
    """Frame from br-tun already tagged with one of this node's local VLANs -> TRANSIENT."""
    return Flow(t.INT_LOCAL_SWITCHING, t.PRIORITY_TUN_INGRESS, _tun_ingress_match(patch_tun, lvid),
                goto=t.TRANSIENT)


# --------------------------------------------------------------------------- TRANSIENT (60)
def _local_unicast_match(lvid: int, mac: str):
    return match(vlan_vid=vlan(lvid), eth_dst=mac)


def local_unicast(lvid: int, mac: str, ofport: int) -> Flow:
    """To a port on this node: untag and deliver; never reaches br-tun."""
    return Flow(t.TRANSIENT, t.PRIORITY_LOCAL_UNICAST, _local_unicast_match(lvid, mac),
                (PopVlan(), Output(ofport)))


def _local_flood_match(lvid: int):
    return match(vlan_vid=vlan(lvid), eth_dst=MULTICAST)


def local_flood(lvid: int, patch_tun: int | None, ofports: list[int]) -> Flow:
    """Broadcast/multicast: tagged to br-tun, untagged to every port of the VLAN."""
    actions = [Output(patch_tun)] if patch_tun is not None else []
    if ofports:
        actions.append(PopVlan())
        actions.extend(Output(p) for p in ofports)
    return Flow(t.TRANSIENT, t.PRIORITY_LOCAL_FLOOD, _local_flood_match(lvid), tuple(actions))


def _to_tun_match(lvid: int):
    return match(vlan_vid=vlan(lvid))


def to_tun(lvid: int, patch_tun: int) -> Flow:
    """Unicast to a MAC that is not on this node: hand to br-tun, still tagged."""
    return Flow(t.TRANSIENT, t.PRIORITY_TO_TUN, _to_tun_match(lvid), (Output(patch_tun),))


# ------------------------------------------------------------------------------- all of it
def misses() -> list[Flow]:
    return [Flow(t.INT_LOCAL_SWITCHING, t.PRIORITY_MISS), Flow(t.TRANSIENT, t.PRIORITY_MISS)]


def flows(view: NodeView) -> list[Flow]:
    out = misses()
    for port in view.ports:
        out.append(vm_ingress(port.ofport, port.vlan))
        out.append(local_unicast(port.vlan, port.port.mac, port.ofport))
    for net in view.networks:
        members = [p.ofport for p in view.ports_in(net.vlan)]
        if view.patch_tun is not None:
            out.append(tun_ingress(view.patch_tun, net.vlan))
            out.append(to_tun(net.vlan, view.patch_tun))
        if members or view.patch_tun is not None:
            out.append(local_flood(net.vlan, view.patch_tun, members))
    return out
