"""Local VLAN allocation: each node tags each network it hosts with a VLAN of its own.

Like Neutron's agent, allocation is per node (the same network may get different VLANs on
different nodes) and stable: a network keeps its VLAN while it stays on the node, so a change
elsewhere never renumbers (and never churns the flows of) the networks already there.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from cloud.model import Cloud
from flows import tables as t
from flows.flow import OFPVID_NONE, SetField

MIN_VLAN = 1
MAX_VLAN = 4094


class VlanExhausted(Exception):
    pass


def allocate(previous: Mapping[str, int], wanted: Iterable[str]) -> dict[str, int]:
    """Map each wanted network id to a VLAN: keep previous ones, give new ones the lowest free.

    Networks in `previous` but not in `wanted` are released. New networks are numbered in the
    order `wanted` lists them, so the same cloud always yields the same allocation.
    """
    wanted = list(dict.fromkeys(wanted))
    kept = {net: vid for net, vid in previous.items() if net in wanted}
    used = set(kept.values())
    free = (vid for vid in range(MIN_VLAN, MAX_VLAN + 1) if vid not in used)
    result = {}
    for net in wanted:
        if net in kept:
            result[net] = kept[net]
            continue
        vid = next(free, None)
        if vid is None:
            raise VlanExhausted(f"no free local VLAN for network {net} "
                                f"({MAX_VLAN} networks on one node)")
        result[net] = vid
    return result


def recover(cloud: Cloud, node: str, int_ports: Mapping[str, int], tun_flows: Iterable,
            int_flows: Iterable) -> dict[str, int]:
    """The local VLANs a node's switches already use, read back from their flows.

    A restarted controller adopts them instead of allocating afresh, so that flows already
    right stay untouched (and the convergence checker reads them, the controller's private
    choice, the same way). Sources: br-tun's GRE/VXLAN_TUN_TO_LV flows (segmentation id ->
    VLAN), br-int's VM ingress flows (the port's network -> VLAN; int_ports: name -> ofport)
    and its translation flows from int-br-ethN (physical network and provider VLAN, or
    untagged for the flat one -> VLAN). A network seen with two VLANs, or a VLAN claimed by
    two networks, is left out (and renumbered).
    """
    kinds = {table: kind for kind, table in t.TUN_TO_LV.items()}
    segments = {(n.type, n.segmentation_id): n.id for n in cloud.networks}
    by_tap = {p.device: p.network_id for p in cloud.ports_on(node)}
    port_networks = {no: by_tap[name] for name, no in int_ports.items() if name in by_tap}
    owned = [(segments.get((kinds[f.table], f.get("tunnel_id"))), f)
             for f in tun_flows if f.table in kinds]
    owned += [(port_networks.get(f.get("in_port")), f) for f in int_flows
              if (f.table, f.priority) == (t.INT_LOCAL_SWITCHING, t.PRIORITY_VM_INGRESS)]
    # a VLAN or flat network's: from int-br-ethN with its provider VLAN (untagged: flat)
    physnets = {int_ports[m.int_patch]: m.physnet for m in cloud.node(node).bridge_mappings
                if m.int_patch in int_ports}
    provider = {(n.physical_network, n.segmentation_id): n.id for n in cloud.networks
                if not n.tunnelled}
    owned += [(provider.get((physnets.get(f.get("in_port")), _provider_vlan(f))), f)
              for f in int_flows
              if (f.table, f.priority) == (t.INT_LOCAL_SWITCHING, t.PRIORITY_PHYS_INGRESS)]
    seen: dict[str, set[int]] = {}
    for net, flow in owned:
        vids = [a.value & 0xFFF for a in flow.actions
                if isinstance(a, SetField) and a.field == "vlan_vid"]
        if net is not None and vids:
            seen.setdefault(net, set()).add(vids[0])
    single = {net: next(iter(vids)) for net, vids in seen.items() if len(vids) == 1}
    claims: dict[int, int] = {}
    for vid in single.values():
        claims[vid] = claims.get(vid, 0) + 1
    return {net: vid for net, vid in single.items()
            if claims[vid] == 1 and MIN_VLAN <= vid <= MAX_VLAN}


def _provider_vlan(flow) -> int | None:
    """The provider VLAN id a translation flow matches (None: untagged, a flat network)."""
    vid = flow.get("vlan_vid")
    return None if vid == OFPVID_NONE else vid & 0xFFF
