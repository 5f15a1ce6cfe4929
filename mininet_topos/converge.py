"""Is every bridge of an emulated cloud exactly as the controller should have made it?

The expectation is computed with flows/ from the cloud (the file's, or the controller's current
one after API changes) and the port numbers each node's OVSDB reports, independently of the
controller process (only local VLAN numbers, its private choice, are read back from the
flows); the actual state is each bridge's `ovs-ofctl dump-flows` parsed with python-ovs's
flow parser, and each br-tun's tunnel ports.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from cloud.model import Cloud
from cloud.naming import BR_INT, BR_TUN, parse_tunnel_port_name
from flows import localvlan, ofctl
from flows.desired import bridge_flows, bridges_of, index
from flows.diff import Changes, diff
from flows.tables import COOKIE
from flows.tunnels import desired_tunnels
from flows.view import NodeState, NodeView
from mininet_topos.ovs import OvsInstance


@dataclass
class BridgeReport:
    node: str
    bridge: str
    changes: Changes          # what would make actual == expected
    tunnels_missing: set
    tunnels_extra: set

    @property
    def ok(self) -> bool:
        return not self.changes and not self.tunnels_missing and not self.tunnels_extra


def installed_flows(ovs: OvsInstance, bridge: str) -> dict:
    """The bridge's flows with the controller's cookie (learned flows excluded)."""
    return index([f for f in ofctl.parse_dump(ovs.dump_flows(bridge)) if f.cookie == COOKIE])


def expected_flows(cloud: Cloud, node: str, ovs: OvsInstance,
                   installed: dict[str, dict] | None = None) -> dict[str, dict]:
    """The node's flows as flows/ computes them. Local VLAN numbers are the controller's own
    choice and stay put as a cloud changes, so they are taken from the installed flows where
    these say (consistently) which VLAN a network has; any other network gets the allocation
    a fresh controller would make."""
    int_ports, tun_ports = ovs.ofports(BR_INT), ovs.ofports(BR_TUN)
    recovered = {} if installed is None else localvlan.recover(
        cloud, node, int_ports, installed[BR_TUN].values(), installed[BR_INT].values())
    vlans = localvlan.allocate(recovered, [n.id for n in cloud.networks_on(node)])
    phys = {m.bridge: ovs.ofports(m.bridge) for m in cloud.node(node).bridge_mappings}
    view = NodeView.of_node(cloud, node, NodeState(vlans, int_ports, tun_ports, phys))
    return {br: bridge_flows(view, br) for br in bridges_of(cloud.node(node))}


def check_node(cloud: Cloud, node: str, ovs: OvsInstance) -> list[BridgeReport]:
    bridges = bridges_of(cloud.node(node))
    installed = {br: installed_flows(ovs, br) for br in bridges}
    expected = expected_flows(cloud, node, ovs, installed)
    tunnels = {p for p in ovs.ofports(BR_TUN) if parse_tunnel_port_name(p)}
    want = set(desired_tunnels(cloud, node))
    reports = []
    for br in bridges:
        changes = diff(installed[br], expected[br])
        missing, extra = (want - tunnels, tunnels - want) if br == BR_TUN else (set(), set())
        reports.append(BridgeReport(node, br, changes, missing, extra))
    return reports


def check(cloud: Cloud, nodes: dict[str, OvsInstance]) -> list[BridgeReport]:
    return [r for name, ovs in nodes.items() for r in check_node(cloud, name, ovs)]


def wait_converged(cloud: Cloud, nodes: dict[str, OvsInstance], timeout: float,
                   alive=lambda: True, current=None, progress=None) -> float:
    """Poll until every bridge is exact; returns seconds taken, raises with what is off.
    current(): the cloud to check against at each poll, when the cloud may move on while
    this waits (a change made meanwhile is what the switches follow); default `cloud`.
    progress(stage, done, total) hears how many bridges are exact at each poll."""
    start = time.monotonic()
    while True:
        if current is not None:
            cloud = current()
        reports = check(cloud, nodes)
        if progress:
            progress("bridges exact", sum(r.ok for r in reports), len(reports))
        if all(r.ok for r in reports):
            return time.monotonic() - start
        if not alive():
            raise RuntimeError("the controller exited before the cloud converged")
        if time.monotonic() - start > timeout:
            bad = [f"{r.node}/{r.bridge}: {len(r.changes.add)} missing, "
                   f"{len(r.changes.modify)} different, {len(r.changes.delete)} stale flows, "
                   f"tunnels missing {sorted(r.tunnels_missing)} extra {sorted(r.tunnels_extra)}"
                   for r in reports if not r.ok]
            raise TimeoutError(f"not converged after {timeout:.0f}s:\n  " + "\n  ".join(bad))
        time.sleep(0.1)
