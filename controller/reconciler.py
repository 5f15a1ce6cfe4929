"""Bringing one node's switches to the desired state.

A sync of a node: (1) its br-tun's tunnel ports are made to match flows.tunnels through the
node's OVSDB (ports that appear are reported by the switch and trigger another sync); (2) its
local VLANs are (re)allocated, keeping existing ones; (3) each connected bridge's ports are read
from the switch; (4) for each connected bridge, the flows
installed (read from the switch once per connection) are diffed against the desired flows of
the node's view and the difference goes through the send path, as the flows are made
(diff.stream: the switch stages the first while the last are computed). Nothing here builds a flow:
that is flows/'s job.
"""
from __future__ import annotations

import logging
import time

from collections.abc import Callable

from cloud.model import Cloud
from cloud.naming import BR_INT, BR_TUN
from controller.ovsdb import OvsdbClient, reconcile_tunnels
from controller.registry import Registry
from controller.sender import Sender
from flows import incremental, localvlan
from flows.desired import bridges_of, iter_bridge_flows
from flows.diff import Changes, combine, stream
from flows.tunnels import desired_tunnels
from flows.view import NodeState, NodeView

LOG = logging.getLogger("overlay.reconciler")


def node_state(vlans: dict[str, int], conns: dict) -> NodeState:
    """A node's local VLANs and the port numbers its connected bridges reported."""
    ports = {bridge: conn.ports or {} for bridge, conn in conns.items()}
    return NodeState(vlans, ports.get(BR_INT, {}), ports.get(BR_TUN, {}),
                     {b: p for b, p in ports.items() if b not in (BR_INT, BR_TUN)})


class Reconciler:
    def __init__(self, current: Callable[[], Cloud], registry: Registry, sender: Sender,
                 ovsdb_port: int, ovsdb=OvsdbClient,
                 history: Callable[[Cloud | None], list | None] = lambda cloud: None):
        """current(): the cloud as it is now (the Keeper's); ovsdb(target): an OVSDB client
        for a node (a context manager; tests pass a fake); history(cloud): the changes from
        that cloud to the current one, None if not known (the Keeper's recent changes)."""
        self.current = current
        self.history = history
        self.registry = registry
        self.sender = sender
        self.ovsdb_port = ovsdb_port
        self.ovsdb = ovsdb
        self.vlans: dict[str, dict[str, int]] = {}
        self._tunnels_done: dict[str, frozenset] = {}  # node -> tunnel set last made real
        self.synced: dict[str, Cloud] = {}      # node -> the cloud its bridges were made exact for
        self.ports_stale: set[str] = set()       # nodes with port events since their last sync

    def forget_tunnels(self, node: str) -> None:
        """Re-check the node's tunnel ports at the next sync (its br-tun reconnected)."""
        self._tunnels_done.pop(node, None)

    def advance(self, change: incremental.Change) -> None:
        """The nodes a change does not concern: exact for its old cloud, exact for its new."""
        for node in change.unconcerned():
            if self.synced.get(node) is change.old:
                self.synced[node] = change.new

    def update(self, node: str, changes: list[incremental.Change]) -> None:
        """Follow a run of one-port changes incrementally (flows/incremental.py, as each
        change's plan says for this node), all of them in one bundle per bridge. The run is
        every change since the node's bridges were exact, as `history` knows them (those of
        other nodes too, which keep it unbroken), else `changes` (the worker's). It is
        followed when it starts at the cloud the bridges are exact for, each change follows
        the one before, and the last one's new cloud is still current; otherwise, or when
        tunnels or local VLANs may change, a full sync."""
        cloud = self.current()
        conns = self.registry.of_node(node)
        known = self.history(self.synced.get(node))
        if known is not None:   # (every change since, including those of other nodes)
            changes = known
        if not changes:
            return None if self.synced.get(node) is cloud else self.sync(node)
        if (any(c.nodes.get(node) == incremental.WHOLE
                or (c.port_id is None and node in c.nodes) for c in changes)
                or any(a.new is not b.old for a, b in zip(changes, changes[1:], strict=False))
                or cloud is not changes[-1].new or self.synced.get(node) is not changes[0].old
                or node in self.ports_stale or node not in self.vlans
                or set(conns) != set(bridges_of(cloud.node(node)))
                or any(c.installed is None or c.ports is None for c in conns.values())):
            return self.sync(node)
        state = node_state(self.vlans[node], conns)
        steps: dict[str, list[Changes]] = {}
        for change in changes:
            if node not in change.nodes:   # (one of the run that concerns other nodes)
                continue
            for bridge, diff_ in incremental.node_changes(change, node, state).items():
                steps.setdefault(bridge, []).append(diff_)
        for bridge, runs in sorted(steps.items()):
            conn = conns[bridge]
            self.sender.apply(conn, runs[0] if len(runs) == 1 else combine(conn.installed,
                                                                           runs))
        self.synced[node] = cloud

    def sync(self, node: str) -> None:
        conns = self.registry.of_node(node)
        if not conns:
            return
        cloud = self.current()  # (a change arriving meanwhile kicks another sync)
        self.ports_stale.discard(node)
        if BR_TUN in conns:
            self._sync_tunnels(node, cloud)
        first = {id(conn) for conn in conns.values() if conn.installed is None}
        for conn in conns.values():
            conn.ports = self.sender.read_ports(conn)
        for conn in conns.values():
            if id(conn) in first:
                conn.installed = self.sender.read_flows(conn)
        if node not in self.vlans:  # (re)started controller: adopt what the switches use
            int_conn, tun_conn = conns.get(BR_INT), conns.get(BR_TUN)
            self.vlans[node] = localvlan.recover(
                cloud, node, int_conn.ports if int_conn else {},
                tun_conn.installed.values() if tun_conn else (),
                int_conn.installed.values() if int_conn else ())
            if self.vlans[node]:
                LOG.info("%s: local VLANs recovered from its flows: %s", node,
                         ", ".join(f"{cloud.network(n).name}={v}"
                                   for n, v in sorted(self.vlans[node].items())))
        wanted = [n.id for n in cloud.networks_on(node)]
        self.vlans[node] = localvlan.allocate(self.vlans[node], wanted)
        view = NodeView.of_node(cloud, node, node_state(self.vlans[node], conns))
        for bridge, conn in sorted(conns.items()):
            right = len(conn.installed)
            started = time.monotonic()
            desired: dict = {}
            sent = self.sender.stream(conn, stream(conn.installed,
                                                   iter_bridge_flows(view, bridge), desired),
                                      result=desired)
            if id(conn) in first:
                LOG.info("%s: first sync on this connection: %d flows of ours were installed, "
                         "%d flow-mods sent (computed, diffed, sent and committed in %.1f ms)",
                         conn.label, right, sent, (time.monotonic() - started) * 1000)
        if set(conns) == set(bridges_of(cloud.node(node))):
            self.synced[node] = cloud

    def _sync_tunnels(self, node: str, cloud: Cloud) -> None:
        desired = desired_tunnels(cloud, node)
        if self._tunnels_done.get(node) == frozenset(desired.items()):
            return
        target = f"tcp:{cloud.node(node).management_ip}:{self.ovsdb_port}"
        with self.ovsdb(target) as client:
            changes = reconcile_tunnels(client, desired)
        if changes:
            LOG.info("%s/%s tunnel ports: added %s, updated %s, removed %s", node, BR_TUN,
                     changes.added or "none", changes.updated or "none",
                     changes.removed or "none")
        self._tunnels_done[node] = frozenset(desired.items())
