"""A node's desired flows per bridge: the composition of br_int's and br_tun's families."""
from __future__ import annotations

from collections.abc import Iterable

from cloud.model import ROLE_NETWORK, Node
from cloud.naming import BR_EX, BR_INT, BR_PHYSICAL, BR_TUN
from flows import br_ex, br_int, br_phys, br_tun
from flows.diff import DuplicateFlow, stream  # noqa: F401 - DuplicateFlow: its readers'
from flows.flow import Flow
from flows.view import NodeView

MANAGED_BRIDGES = (BR_INT, BR_TUN, BR_EX)


def bridges_of(node: Node) -> tuple[str, ...]:
    """The bridges the controller programs on a node: br-ex on network nodes only, and a
    physical bridge per bridge mapping."""
    own = MANAGED_BRIDGES if node.role == ROLE_NETWORK else (BR_INT, BR_TUN)
    return own + tuple(m.bridge for m in node.bridge_mappings)


def family(bridge: str) -> str:
    """The declaration a bridge of the node follows: its own name, or BR_PHYSICAL."""
    return bridge if bridge in MANAGED_BRIDGES else BR_PHYSICAL


def index(flows: Iterable[Flow]) -> dict[tuple, Flow]:
    """Flows by key; two different flows for one OpenFlow entry is a bug in the families
    (DuplicateFlow): diff.stream's own check, against nothing installed."""
    out: dict[tuple, Flow] = {}
    for _ in stream({}, flows, out):
        pass
    return out


FAMILIES = {BR_INT: br_int, BR_TUN: br_tun, BR_EX: br_ex}


def bridge_flows(view: NodeView, bridge: str) -> dict[tuple, Flow]:
    return index(iter_bridge_flows(view, bridge))


def iter_bridge_flows(view: NodeView, bridge: str) -> Iterable[Flow]:
    """A bridge's desired flows as its families make them (br-tun's one by one: the most
    of a node's; the others' once made), duplicates not yet found: `index` or
    diff.stream finds them."""
    if bridge == BR_TUN:
        return br_tun.iter_flows(view)
    if bridge in FAMILIES:
        return FAMILIES[bridge].flows(view)
    return br_phys.flows(view, bridge)


def node_flows(view: NodeView) -> dict[str, dict[tuple, Flow]]:
    return {bridge: bridge_flows(view, bridge) for bridge in bridges_of(view.node)}
