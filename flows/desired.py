"""A node's desired flows per bridge: the composition of br_int's and br_tun's families."""
from __future__ import annotations

from cloud.naming import BR_INT, BR_TUN
from flows import br_int, br_tun
from flows.flow import Flow
from flows.view import NodeView

MANAGED_BRIDGES = (BR_INT, BR_TUN)


class DuplicateFlow(Exception):
    pass


def index(flows: list[Flow]) -> dict[tuple, Flow]:
    """Flows by key; two different flows for one OpenFlow entry is a bug in the families."""
    out: dict[tuple, Flow] = {}
    for flow in flows:
        other = out.setdefault(flow.key, flow)
        if other != flow:
            raise DuplicateFlow(f"two flows for one entry: {other} and {flow}")
    return out


def bridge_flows(view: NodeView, bridge: str) -> dict[tuple, Flow]:
    family = {BR_INT: br_int, BR_TUN: br_tun}[bridge]
    return index(family.flows(view))


def node_flows(view: NodeView) -> dict[str, dict[tuple, Flow]]:
    return {bridge: bridge_flows(view, bridge) for bridge in MANAGED_BRIDGES}
