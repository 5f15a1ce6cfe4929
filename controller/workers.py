"""One worker per node: it follows the cloud's changes and the switches' events on that node,
one sync at a time, retrying after transient errors.

A Change (flows/incremental.py) reaches the workers of the nodes it concerns; the others are
told their bridges stay exact (Reconciler.advance). A worker follows a one-port change
incrementally, and the one-port changes that arrived together (API requests within
BATCH_SECONDS of each other, or while the worker was busy) in one bundle per bridge
(Reconciler.update): under load, more changes per bundle rather than more bundles. Anything
else (a switch connecting, a port appearing, a change of more than one port) is a full sync
of the node (Reconciler.sync).
"""
from __future__ import annotations

import logging

from os_ken.lib import hub

from controller.ovsdb import OvsdbError
from controller.reconciler import Reconciler
from controller.sender import Refused, ReplyTimeout
from flows.incremental import Change

LOG = logging.getLogger("overlay")
RETRY_SECONDS = 1.0
BATCH_SECONDS = 0.002   # how long a worker waits for more changes before it computes
TRANSIENT = (OSError, OvsdbError, ReplyTimeout, Refused)


class NodeWorker:
    def __init__(self, node: str, reconciler: Reconciler):
        self.node = node
        self.reconciler = reconciler
        self.dirty = hub.Event()
        self.full = False
        self.changes: list[Change] = []
        self.runs = 0
        self.thread = hub.spawn(self._loop)

    def kick(self, change: Change | None = None) -> None:
        """Sync soon: follow `change` incrementally if it stays alone, else whole."""
        if change is None or change.port_id is None:
            self.full = True
        else:
            self.changes.append(change)
        self.dirty.set()

    def _loop(self) -> None:
        while True:
            self.dirty.wait()
            hub.sleep(BATCH_SECONDS)
            self.dirty.clear()
            self.run_once()

    def run_once(self) -> None:
        full, changes = self.full, self.changes
        self.full, self.changes = False, []
        self.runs += 1
        try:
            if not full and changes:
                self.reconciler.update(self.node, changes)
            else:
                self.reconciler.sync(self.node)
            ports = [c.port_id or "-" for c in changes if self.node in c.nodes]
            if ports:   # (bench/ reads when each change reached the switches)
                LOG.info("%s: followed %d change(s): %s", self.node, len(ports),
                         " ".join(ports))
        except TRANSIENT as exc:
            LOG.warning("%s: sync incomplete (%s); retrying in %.0fs", self.node, exc,
                        RETRY_SECONDS)
            hub.spawn_after(RETRY_SECONDS, self.kick)
        except Exception:  # a bug: say so loudly, keep serving the other nodes
            LOG.exception("%s: sync failed", self.node)
            hub.spawn_after(RETRY_SECONDS, self.kick)

    def stop(self) -> None:
        hub.kill(self.thread)


class Workers:
    """The node workers of a cloud."""

    def __init__(self, nodes: list[str], reconciler: Reconciler):
        self.reconciler = reconciler
        self.by_node = {node: NodeWorker(node, reconciler) for node in nodes}

    def follow(self, change: Change) -> None:
        """A change the Keeper accepted and saved, to the nodes it concerns."""
        self.reconciler.advance(change)
        for node in change.nodes:
            self.by_node[node].kick(change)

    def kick(self, node: str) -> None:
        """Something happened on the node's switches: a full sync."""
        self.by_node[node].kick()

    def stop(self) -> None:
        for worker in self.by_node.values():
            worker.stop()
