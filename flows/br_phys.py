"""A physical bridge's flows (br-ethN, one per bridge mapping of the node; seed 003).

The bridge joins br-int (through phy-br-ethN) to the physical network's NIC. Frames from br-int
carry a local VLAN: each VLAN or flat network of this node on this physical network has its
local VLAN rewritten to the provider VLAN (or stripped, flat) and goes out by NORMAL; any other
frame from br-int is dropped. Frames from the wire go by NORMAL to br-int, which translates the
provider VLAN back (br_int.phys_ingress).
"""
from __future__ import annotations

from cloud.model import TYPE_FLAT
from flows import tables as t
from flows.flow import OFPP_NORMAL, Flow, Output, PopVlan, SetField, match, vlan
from flows.pipeline import PHYS
from flows.view import NodeView

TABLE = PHYS[t.PHYS_LOCAL_SWITCHING]


def normal() -> Flow:
    """Everything else (the wire's frames among it): NORMAL."""
    return TABLE.miss_flow()


def _lv_to_provider_match(phy_ofport: int, lvid: int):
    return match(in_port=phy_ofport, vlan_vid=vlan(lvid))


def lv_to_provider(phy_ofport: int, lvid: int, network) -> Flow:
    """A network's frame from br-int: local VLAN -> provider VLAN (flat: untagged), NORMAL."""
    translate = (PopVlan(),) if network.type == TYPE_FLAT else (
        SetField("vlan_vid", vlan(network.segmentation_id)),)
    return TABLE.flow(t.PRIORITY_LV_TO_PROVIDER, _lv_to_provider_match(phy_ofport, lvid),
                      translate + (Output(OFPP_NORMAL),))


def drop_from_int(phy_ofport: int) -> Flow:
    """Any other frame from br-int: dropped (a local VLAN of another physical network or of
    a tunnelled network never reaches this wire)."""
    return TABLE.flow(t.PRIORITY_PHYS_DROP, match(in_port=phy_ofport))


def flows(view: NodeView, bridge: str) -> list[Flow]:
    """Base flows (unless the view is scoped to one network), then one per network of this
    node on the bridge's physical network."""
    phys = view.physical_bridge(bridge)
    out = [] if view.scope is not None else [normal()]
    if phys.phy_ofport is None:
        return out
    if view.scope is None:
        out.append(drop_from_int(phys.phy_ofport))
    for net in view.networks:
        if net.network.physical_network == phys.mapping.physnet:
            out.append(lv_to_provider(phys.phy_ofport, net.vlan, net.network))
    return out
