"""The os-ken application: a shim from OpenFlow events to the node workers.

It wires the pieces together: the Keeper (the one current cloud, its API and store), the
registry of connections, the send path and one worker per node (controller/workers.py). An
event that concerns a node (one of its bridges connects, a port appears or goes, an OpenFlow
error) kicks the node's worker; a change the Keeper accepted goes to the workers of the
nodes it concerns. Replies (bundle commits, flow stats, port descriptions) and errors are
routed to the send path.
"""
from __future__ import annotations

import logging
import os
import sys

import eventlet
import eventlet.wsgi

from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import (CONFIG_DISPATCHER, DEAD_DISPATCHER,
                                       HANDSHAKE_DISPATCHER, MAIN_DISPATCHER, set_ev_cls)
from os_ken.lib import hub
from os_ken.ofproto import ofproto_v1_3

from cloud import schema
from cloud.naming import BR_TUN
from controller.agents import Agents
from controller.api import Api, Runtime
from controller.config import CONF, STATE_DIR, tune_gc
from controller.keeper import Keeper
from controller.reconciler import Reconciler, node_state
from controller.registry import Registry, UnknownDatapath, port_name
from controller.sender import Replies, Sender
from controller.store import Store
from controller.workers import RETRY_SECONDS, Workers
from flows.desired import bridges_of

LOG = logging.getLogger("overlay")
REASONS = {ofproto_v1_3.OFPPR_ADD: "added", ofproto_v1_3.OFPPR_DELETE: "deleted",
           ofproto_v1_3.OFPPR_MODIFY: "modified"}
LOG_FORMAT = "%(asctime)s.%(msecs)03d %(levelname)s %(name)s: %(message)s"


def format_logs() -> None:
    """os-ken's handlers print bare messages; give them time, level and logger."""
    formatter = logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S")
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)


def load_cloud():
    """The cloud named by [overlay] cloud_file; exits with the validation message if bad."""
    path = CONF.overlay.cloud_file
    if not path:
        sys.stderr.write("overlay: no [overlay] cloud_file in the --config-file\n")
        raise SystemExit(2)
    try:
        cloud = schema.load(path)
    except schema.CloudError as exc:
        LOG.error("refusing to start, the cloud file is invalid:\n%s", exc)
        sys.stderr.write(f"{exc}\n")
        raise SystemExit(2) from None
    listen = CONF.ofp_listen_host
    if listen not in (None, "", "0.0.0.0", "::", str(cloud.fabric.controller_ip)):
        msg = (f"{path}: management: controller {cloud.fabric.controller_ip} differs from "
               f"ofp_listen_host {listen} in the --config-file")
        LOG.error("refusing to start: %s", msg)
        sys.stderr.write(msg + "\n")
        raise SystemExit(2)
    return cloud


class ApiLog:
    """eventlet.wsgi's request log, into ours at debug level."""

    def write(self, text: str) -> None:
        LOG.debug("api: %s", text.rstrip())


class ControllerRuntime(Runtime):
    """What the API asks of the running controller: bridge connections, the ports the
    switches report, the agents."""

    def __init__(self, app: OverlayController):
        self.app = app
        self.agents_state = Agents()

    def bridges(self, node: str) -> dict[str, bool]:
        conns = self.app.registry.of_node(node)
        return {b: b in conns for b in bridges_of(self.app.keeper.cloud.node(node))}

    def plugged(self, node: str, bridge: str, device: str) -> bool:
        conn = self.app.registry.of_node(node).get(bridge)
        return conn is not None and conn.ports is not None and device in conn.ports

    def agents(self) -> list[dict]:
        return self.agents_state.views(self.app.keeper.cloud,
                                       lambda node: all(self.bridges(node).values()))

    def heartbeat(self, host: str) -> None:
        for kind in ("dhcp", "l3"):
            self.agents_state.beat(kind, host)

    def states(self, cloud) -> dict:
        """The nodes whose bridges the controller has synced: its local VLANs and the
        port numbers their switches reported."""
        out = {}
        for node, vlans in list(self.app.reconciler.vlans.items()):
            conns = self.app.registry.of_node(node)
            if conns and node in {n.name for n in cloud.nodes}:
                out[node] = node_state(vlans, conns)
        return out


class OverlayController(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        format_logs()
        seed = load_cloud()
        state = CONF.overlay.state_file or os.path.join(STATE_DIR, seed.name + ".sqlite")
        try:
            self.keeper = Keeper(Store(state), seed.source, lambda c: self.workers.follow(c))
        except (OSError, schema.CloudError) as exc:
            LOG.error("refusing to start, the state file %s cannot be used: %s", state, exc)
            sys.stderr.write(f"{state}: {exc}\n")
            raise SystemExit(2) from None
        cloud = self.keeper.cloud
        self.registry = Registry()
        self.replies = Replies()
        self.sender = Sender(self.replies, CONF.overlay.reply_timeout)
        self.reconciler = Reconciler(lambda: self.keeper.cloud, self.registry, self.sender,
                                     CONF.overlay.ovsdb_port,
                                     history=self.keeper.changes_since)
        self.workers = Workers([n.name for n in cloud.nodes], self.reconciler)
        tune_gc()
        LOG.info("cloud %s from %s: %d nodes, %d networks, %d ports", cloud.name,
                 cloud.source, len(cloud.nodes), len(cloud.networks),
                 len(cloud.ports) + len(cloud.unbound))

    def start(self):
        thread = super().start()
        if CONF.overlay.api_port:
            host = CONF.overlay.api_host or CONF.ofp_listen_host or "0.0.0.0"
            sock = eventlet.listen((host, CONF.overlay.api_port))
            api = Api(self.keeper, ControllerRuntime(self), CONF.overlay.auth_strategy,
                      CONF.overlay.auth_token)
            hub.spawn(eventlet.wsgi.server, sock, api, log=ApiLog(), log_output=False)
            LOG.info("API on http://%s:%d/v2.0 (auth_strategy %s)", host,
                     CONF.overlay.api_port, CONF.overlay.auth_strategy)
        return thread

    @set_ev_cls(ofp_event.EventOFPStateChange, [MAIN_DISPATCHER, DEAD_DISPATCHER])
    def _state_change(self, ev) -> None:
        dp = ev.datapath
        if ev.state == MAIN_DISPATCHER:
            try:
                conn = self.registry.connect(dp, self.keeper.cloud)
            except UnknownDatapath as exc:
                LOG.warning("ignoring a switch: %s", exc)
                return
            LOG.info("%s connected (datapath %016x from %s)", conn.label, dp.id, dp.address[0])
            if conn.bridge == BR_TUN:
                self.reconciler.forget_tunnels(conn.node)
            self.workers.kick(conn.node)
        elif ev.state == DEAD_DISPATCHER:
            conn = self.registry.disconnect(dp)
            if conn is not None:
                LOG.info("%s disconnected", conn.label)
                self.replies.abandon(dp)

    @set_ev_cls(ofp_event.EventOFPPortStatus, [CONFIG_DISPATCHER, MAIN_DISPATCHER])
    def _port_change(self, ev) -> None:
        """A port appeared, changed or went: sync its node (which re-reads the ports). A
        status arriving during the handshake is covered by the sync on connection."""
        msg = ev.msg
        conn = self.registry.find(msg.datapath)
        reason = REASONS.get(msg.reason, str(msg.reason))
        LOG.info("%s: port %s %s (ofport %d)", conn.label if conn else "(handshake)",
                 port_name(msg.desc), reason, msg.desc.port_no)
        if conn is not None:
            self.reconciler.ports_stale.add(conn.node)
            self.workers.kick(conn.node)

    @set_ev_cls(ofp_event.EventOFPPortDescStatsReply, MAIN_DISPATCHER)
    def _port_desc_reply(self, ev) -> None:
        self._multipart_reply(ev)

    @set_ev_cls(ofp_event.EventONFBundleCtrlMsg, MAIN_DISPATCHER)
    def _bundle_reply(self, ev) -> None:
        msg = ev.msg
        if msg.type == msg.datapath.ofproto.ONF_BCT_COMMIT_REPLY:
            self.replies.receive(msg.datapath, msg.xid)

    @set_ev_cls(ofp_event.EventOFPFlowStatsReply, MAIN_DISPATCHER)
    def _flow_stats_reply(self, ev) -> None:
        self._multipart_reply(ev)

    def _multipart_reply(self, ev) -> None:
        msg = ev.msg
        more = bool(msg.flags & msg.datapath.ofproto.OFPMPF_REPLY_MORE)
        self.replies.receive(msg.datapath, msg.xid, msg.body, more)

    @set_ev_cls(ofp_event.EventOFPErrorMsg,
                [HANDSHAKE_DISPATCHER, CONFIG_DISPATCHER, MAIN_DISPATCHER])
    def _error(self, ev) -> None:
        msg = ev.msg
        conn = self.registry.find(msg.datapath)
        label = conn.label if conn else f"datapath {msg.datapath.id}"
        what = self.sender.describe_error(msg.datapath, msg.xid)
        LOG.error("%s: OpenFlow error type=%d code=%d for %s", label, msg.type, msg.code, what)
        self.replies.fail(msg.datapath, msg.xid, f"OpenFlow error type={msg.type} "
                          f"code={msg.code}")
        if conn is not None:
            conn.installed = None  # unknown now: re-read at the next sync
            hub.spawn_after(RETRY_SECONDS, self.workers.kick, conn.node)
