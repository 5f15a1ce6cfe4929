"""br-ex's flows (network nodes only): the external segment as an ordinary switch."""
from __future__ import annotations

from flows import tables as t
from flows.flow import Flow
from flows.pipeline import EX
from flows.view import NodeView


def normal() -> Flow:
    """Everything: NORMAL (MAC learning between the external NIC and the qg- ports)."""
    return EX[t.EX_LOCAL_SWITCHING].miss_flow()


def flows(view: NodeView) -> list[Flow]:
    return [normal()] if view.scope is None else []
