"""A new network's segment through the API (Neutron's ML2 type drivers): VXLAN and GRE ids,
VLAN ids on a physical network, flat networks, in the words Neutron answers with.

A VXLAN or GRE network without an id gets the lowest free one. A VLAN network without a
physical network gets the first physical network with a free id in its vlan_ranges, and
without an id the lowest free one there (Neutron draws one at random among them); an id
outside the ranges is taken as given (an admin's provider network). A flat network needs its
physical network, one flat network each.
"""
from __future__ import annotations

from typing import Any

from cloud.errors import Refused
from cloud.schema_phys import vlan_range
from cloud.values import one_or_many
from cloud.model import (NETWORK_TYPES, SEGMENTATION_MAX, TUNNEL_TYPES, TYPE_FLAT, TYPE_VLAN,
                         TYPE_VXLAN)

Doc = dict[str, Any]


def _invalid(message: str) -> Refused:
    return Refused(400, f"Invalid input for operation: {message}.")


def _taken(doc: Doc, kind: str, physnet: str | None) -> set:
    return {n.get("segmentation_id") for n in doc["networks"]
            if n.get("type") == kind and n.get("physical_network") == physnet}


def segment(doc: Doc, attrs: dict) -> dict:
    """The network entry's type, segmentation_id and physical_network for a create request."""
    kind = attrs.get("provider:network_type", TYPE_VXLAN)
    physnet = attrs.get("provider:physical_network")
    seg = attrs.get("provider:segmentation_id")
    if kind not in NETWORK_TYPES:
        raise _invalid(f"network_type value '{kind}' not supported")
    if kind in TUNNEL_TYPES:
        if physnet is not None:
            raise _invalid(f"provider:physical_network specified for {kind} network")
        return {"type": kind, "segmentation_id": _tunnel_id(doc, kind, seg)}
    physnets = {p["name"]: p for p in doc.get("physical_networks", [])}
    if physnet is not None and physnet not in physnets:
        raise _invalid(f"physical_network '{physnet}' unknown for {kind} provider network")
    if kind == TYPE_FLAT:
        if physnet is None:
            raise _invalid("physical_network required for flat provider network")
        if seg is not None:
            raise _invalid("segmentation_id specified for flat network")
        if _taken(doc, TYPE_FLAT, physnet):
            raise Refused(409, f"Unable to create the flat network. Physical network "
                          f"{physnet} is in use.")
        return {"type": kind, "physical_network": physnet}
    return _vlan(doc, physnets, physnet, seg)


def _tunnel_id(doc: Doc, kind: str, seg: int | None) -> int:
    taken = _taken(doc, kind, None)
    if seg is None:
        return next(s for s in range(1, SEGMENTATION_MAX[kind] + 1) if s not in taken)
    if not 1 <= seg <= SEGMENTATION_MAX[kind]:
        raise _invalid(f"segmentation_id out of range (1 through {SEGMENTATION_MAX[kind]})")
    if seg in taken:
        raise Refused(409, f"Unable to create the network. The tunnel ID {seg} is in use.")
    return seg


def _vlan(doc: Doc, physnets: dict, physnet: str | None, seg: int | None) -> dict:
    top = SEGMENTATION_MAX[TYPE_VLAN]
    if seg is not None:
        if physnet is None:
            raise _invalid("physical_network required for VLAN provider network")
        if not 1 <= seg <= top:
            raise _invalid(f"segmentation_id out of range (1 through {top})")
        if seg in _taken(doc, TYPE_VLAN, physnet):
            raise Refused(409, f"Unable to create the network. The VLAN {seg} on physical "
                          f"network {physnet} is in use.")
        return {"type": TYPE_VLAN, "physical_network": physnet, "segmentation_id": seg}
    for name in [physnet] if physnet is not None else list(physnets):
        taken = _taken(doc, TYPE_VLAN, name)
        for first, last in _ranges(physnets[name]):
            free = next((v for v in range(first, last + 1) if v not in taken), None)
            if free is not None:
                return {"type": TYPE_VLAN, "physical_network": name, "segmentation_id": free}
    raise Refused(503, "Unable to create the network. No tenant network is available for "
                  "allocation.")


def _ranges(entry: dict) -> tuple[tuple[int, int], ...]:
    """An entry's vlan_ranges as (first, last) pairs (a valid document's: checked)."""
    return one_or_many(vlan_range)(entry.get("vlan_ranges", ()))
