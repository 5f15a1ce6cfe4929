"""Local VLAN allocation: each node tags each network it hosts with a VLAN of its own.

Like Neutron's agent, allocation is per node (the same network may get different VLANs on
different nodes) and stable: a network keeps its VLAN while it stays on the node, so a change
elsewhere never renumbers (and never churns the flows of) the networks already there.
"""
from __future__ import annotations

from typing import Iterable, Mapping

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
