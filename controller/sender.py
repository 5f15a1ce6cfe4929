"""The one send path: every flow read from and written to a switch goes through here.

`read_ports` and `read_flows` ask a bridge for its ports and for every flow of our cookie
(what is installed); `apply` sends a diff as one atomic, ordered ONF bundle (OpenFlow 1.3
bundle extension: open, the flow-mods as adds then modifies then deletes, commit), `stream`
the same as the flow-mods come (a sync's, while its flows are still being computed), waits
for the commit reply, and only then records the change as installed: the switch applies all of
it or, if any flow-mod fails, none of it. A bundle is committed or discarded, never left
open: anything that goes wrong between its open and its commit (an encoding bug, a lost
connection, no reply) discards it on the switch (as Neutron's bundled bridge does) and
forgets what the bridge has, so that the node's next sync reads the switch again. The
flow-mods are encoded by controller/wire.py (os-ken's classes, in ofmsg.py, encode the few
other messages). Every flow-mod is logged in
ovs-ofctl syntax at debug level and counted; an OpenFlow error names the bridge, the
operation and the flow that caused it, and fails the commit it belongs to.
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Iterable

from os_ken.lib import hub
from os_ken.ofproto import ofproto_v1_3 as ofp

from controller import ofmsg, wire
from controller.registry import BridgeConn, port_name
from flows import ofctl
from flows.diff import Changes
from flows.flow import Flow
from flows.tables import COOKIE, COOKIE_LEARNED

LOG = logging.getLogger("overlay.sender")
MAX_REMEMBERED = 100000  # xid -> flow, for naming the flow an error refers to
CHUNK_BYTES = 64 * 1024  # bundle-adds are written to the socket in pieces of about this
COMMANDS = {"add": ofp.OFPFC_ADD, "modify": ofp.OFPFC_MODIFY_STRICT,
            "delete": ofp.OFPFC_DELETE_STRICT}


class ReplyTimeout(Exception):
    pass


class Refused(Exception):
    """The switch answered a request with an OpenFlow error (a bundle not committed)."""


class _Pending:
    def __init__(self) -> None:
        self.event = hub.Event()
        self.parts: list = []
        self.lost = False
        self.error: str | None = None


class Replies:
    """Replies by (datapath, xid): a bundle commit reply, or the parts of a multipart reply;
    an OpenFlow error or a lost connection wakes the waiter too."""

    def __init__(self) -> None:
        self._pending: dict[tuple[int, int], _Pending] = {}

    def expect(self, datapath, xid: int) -> tuple[int, int]:
        key = (id(datapath), xid)
        self._pending[key] = _Pending()
        return key

    def receive(self, datapath, xid: int, body=None, more: bool = False) -> None:
        pending = self._pending.get((id(datapath), xid))
        if pending is None:
            return
        if body:
            pending.parts.extend(body)
        if not more:
            pending.event.set()

    def fail(self, datapath, xid: int, error: str) -> None:
        """An OpenFlow error answered this request."""
        pending = self._pending.get((id(datapath), xid))
        if pending is not None:
            pending.error = error
            pending.event.set()

    def abandon(self, datapath) -> None:
        """The connection is gone: wake everyone waiting on it."""
        for (dp, _), pending in self._pending.items():
            if dp == id(datapath):
                pending.lost = True
                pending.event.set()

    def wait(self, key: tuple[int, int], timeout: float, what: str) -> list:
        pending = self._pending[key]
        try:
            if not pending.event.wait(timeout=timeout):
                raise ReplyTimeout(f"no {what} reply within {timeout:.0f}s")
            if pending.lost:
                raise ReplyTimeout(f"connection lost waiting for the {what} reply")
            if pending.error is not None:
                raise Refused(f"{what}: {pending.error}")
            return pending.parts
        finally:
            self._pending.pop(key, None)


class Sender:
    def __init__(self, replies: Replies, timeout: float):
        self.replies = replies
        self.timeout = timeout
        self._sent: OrderedDict[tuple[int, int], str] = OrderedDict()

    def _remember(self, dp, xid: int, description) -> None:
        """description: a text, or (verb, flow, bundle), rendered only if an error names it."""
        self._sent[(id(dp), xid)] = description
        while len(self._sent) > MAX_REMEMBERED:
            self._sent.popitem(last=False)

    def _send(self, conn: BridgeConn, msg, description: str) -> int:
        dp = conn.datapath
        dp.set_xid(msg)
        self._remember(dp, msg.xid, description)
        dp.send_msg(msg)
        return msg.xid

    def _request(self, conn: BridgeConn, msg, what: str) -> list:
        """Send a request, wait for its reply (the parts of a multipart one); an OpenFlow
        error answering it raises Refused naming `what`."""
        dp = conn.datapath
        dp.set_xid(msg)
        self._remember(dp, msg.xid, what)
        key = self.replies.expect(dp, msg.xid)
        dp.send_msg(msg)
        return self.replies.wait(key, self.timeout, f"{conn.label} {what}")

    def read_ports(self, conn: BridgeConn) -> dict[str, int]:
        """Port name -> ofport, asked from the switch (not os-ken's cache, which misses a port
        added while the connection's handshake was in flight)."""
        parts = self._request(conn, ofmsg.port_desc_request(conn.datapath), "port-desc")
        return {port_name(p): p.port_no for p in parts if p.port_no <= ofp.OFPP_MAX}

    def read_flows(self, conn: BridgeConn) -> dict[tuple, Flow]:
        """The bridge's flows of our cookie; undecodable ones (not ours to keep) are deleted."""
        dp = conn.datapath
        installed, foreign = {}, []
        for stats in self._request(conn, ofmsg.flow_stats_request(dp, COOKIE), "flow-stats"):
            if stats.cookie == COOKIE_LEARNED:
                continue  # the learn action's own entries: OVS times them out
            try:
                flow = ofmsg.decode_stats(stats)
                installed[flow.key] = flow
            except ofmsg.UndecodableFlow as exc:
                foreign.append((stats, exc))
        for stats, exc in foreign:
            LOG.warning("%s: deleting a flow of our cookie outside the pipeline (%s): table=%d "
                        "priority=%d %s", conn.label, exc, stats.table_id, stats.priority,
                        stats.match)
            self._send(conn, ofmsg.delete_raw(dp, stats.table_id, stats.priority, stats.cookie,
                                              stats.match), "delete of undecodable flow")
            conn.flow_mods += 1
        return installed

    def apply(self, conn: BridgeConn, changes: Changes) -> int:
        """Send changes as one bundle, wait for its commit, record them as installed;
        returns the number of flow-mods."""
        return self.stream(conn, [(verb, flow) for verb, flows in (
            ("add", changes.add), ("modify", changes.modify), ("delete", changes.delete))
            for flow in flows])

    def stream(self, conn: BridgeConn, mods: Iterable[tuple[str, Flow]],
               result: dict[tuple, Flow] | None = None) -> int:
        """Send ("add"|"modify"|"delete", flow) pairs as one bundle as they come (opened at
        the first: none, no bundle), wait for its commit, record them as installed; returns
        the number of flow-mods. The bundle-adds are encoded straight to bytes
        (controller/wire.py) and written in chunks of about CHUNK_BYTES, each handed to the
        send loop at once, so the switch stages them while the next are made (with
        diff.stream: while the desired flows themselves are still being computed).
        `result`: what the bridge holds once they are applied, if the caller knows it
        (diff.stream's `seen`: the desired flows), kept as is."""
        dp = conn.datapath
        started = time.monotonic()
        sent: list[tuple[str, Flow]] = []
        opened: list[int] = []

        def open_bundle() -> int:
            conn.bundles += 1
            opened.append(conn.bundles)
            self._send(conn, ofmsg.bundle_open(dp, conn.bundles),
                       f"open of bundle {conn.bundles}")
            return conn.bundles
        try:
            for data in self._chunks(conn, mods, sent, open_bundle):
                dp.send(data)
                hub.sleep(0)  # let the send loop write it: the switch works meanwhile
            if not opened:
                return 0
            self._request(conn, ofmsg.bundle_commit(dp, opened[0]),
                          f"commit of bundle {opened[0]}")
        except Refused:
            conn.installed = None  # the switch refused the commit and dropped the bundle
            raise
        except BaseException as exc:
            conn.installed = None  # (unknown now: the next sync reads the switch)
            if opened:
                self._discard(conn, opened[0], exc)
            raise
        counts = dict.fromkeys(COMMANDS, 0)
        for verb, _ in sent:
            counts[verb] += 1
        if result is not None:
            conn.installed = result
        else:
            for verb, flow in sent:
                if verb == "delete":
                    conn.installed.pop(flow.key, None)
                else:
                    conn.installed[flow.key] = flow
        count = len(sent)
        conn.flow_mods += count
        LOG.info("%s: bundle %d committed: %d flow-mods (+%d ~%d -%d) in %.1f ms, %d flows "
                 "installed, %d flow-mods on this connection", conn.label, opened[0], count,
                 counts["add"], counts["modify"], counts["delete"],
                 (time.monotonic() - started) * 1000, len(conn.installed), conn.flow_mods)
        return count

    def _chunks(self, conn: BridgeConn, mods: Iterable[tuple[str, Flow]], sent: list,
                open_bundle):
        """The bundle's flow-mods as bytes, in chunks of about CHUNK_BYTES; the bundle is
        opened (open_bundle() -> its id) when the first flow-mod comes."""
        dp = conn.datapath
        debug = LOG.isEnabledFor(logging.DEBUG)
        bundle = None
        chunk: list[bytes] = []
        size = 0
        for verb, flow in mods:
            if bundle is None:
                bundle = open_bundle()
            if debug:
                LOG.debug("%s: bundle %d: %s %s", conn.label, bundle, verb, ofctl.render(flow))
            dp.xid = xid = (dp.xid + 1) & ofp.MAX_XID
            self._remember(dp, xid, (verb, flow, bundle))
            data = wire.bundle_add(xid, bundle, flow, COMMANDS[verb])
            sent.append((verb, flow))
            chunk.append(data)
            size += len(data)
            if size >= CHUNK_BYTES:
                yield b"".join(chunk)
                chunk, size = [], 0
        if chunk:
            yield b"".join(chunk)

    def _discard(self, conn: BridgeConn, bundle: int, cause: BaseException) -> None:
        """Discard a bundle that will not be committed (best effort: the connection may be
        what failed)."""
        LOG.warning("%s: bundle %d discarded (%s: %s); the node will be read and synced "
                    "again", conn.label, bundle, type(cause).__name__, cause)
        try:
            self._send(conn, ofmsg.bundle_discard(conn.datapath, bundle),
                       f"discard of bundle {bundle}")
        except Exception as exc:  # noqa: BLE001 - the bundle dies with the connection anyway
            LOG.warning("%s: could not send the discard of bundle %d: %s", conn.label, bundle,
                        exc)

    def describe_error(self, datapath, xid: int) -> str:
        sent = self._sent.get((id(datapath), xid), "a message that is not a flow-mod")
        if isinstance(sent, tuple):
            verb, flow, bundle = sent
            return f"{verb} {ofctl.render(flow)} (bundle {bundle})"
        return sent
