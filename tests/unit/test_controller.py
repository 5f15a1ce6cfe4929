"""The controller's own side without a switch (tier 1): the send path, the reconcile of a
node and its tunnel ports, against fake datapaths and a fake OVSDB (tests/support/
fakeswitch.py) that answer as Open vSwitch does."""
import dataclasses

import pytest

from cloud import derived
from cloud import schema
from cloud.naming import BR_INT, BR_TUN, PATCH_INT, PATCH_TUN, tunnel_port_name
from controller import wire
from controller.reconciler import Reconciler
from controller.registry import Registry, UnknownDatapath
from controller.sender import Refused, Replies, ReplyTimeout, Sender
from flows.desired import bridge_flows
from flows.diff import Changes
from flows.flow import Flow, Output, SetField
from flows.tables import COOKIE_LEARNED, UCAST_TO_TUN
from flows.view import NodeState, NodeView
from tests.support.fakeswitch import FakeDatapath, FakeOvsdb

NODE = "compute1"


class Node:
    """compute1 of a cloud, its bridges connected (br-int, br-tun, a physical bridge per
    mapping), its OVSDB, and a reconciler."""

    def __init__(self, cloud, timeout=0.3):
        self.cloud = cloud
        self.replies = Replies()
        self.sender = Sender(self.replies, timeout)
        self.registry = Registry()
        ip = str(cloud.node(NODE).management_ip)
        taps = {p.device: 10 + i for i, p in enumerate(cloud.ports_on(NODE))}
        mappings = cloud.node(NODE).bridge_mappings
        patches = {m.int_patch: 2 + i for i, m in enumerate(mappings)}
        self.br_int = FakeDatapath(self.replies, ip, BR_INT, {PATCH_TUN: 1, **patches, **taps})
        self.br_tun = FakeDatapath(self.replies, ip, BR_TUN, {PATCH_INT: 1})
        self.phys = [FakeDatapath(self.replies, ip, m.bridge, {m.phy_patch: 1, m.nic: 2})
                     for m in mappings]
        self.ovsdb = FakeOvsdb(self.br_tun)
        self.reconciler = Reconciler(lambda: self.cloud, self.registry, self.sender, 6640,
                                     ovsdb=self.ovsdb)
        self.conns = {dp.bridge: self.registry.connect(dp, cloud) for dp in self.bridges}

    @property
    def bridges(self) -> list:
        return [self.br_int, self.br_tun, *self.phys]

    def desired(self, bridge):
        view = NodeView.of_node(self.cloud, NODE, NodeState(
            self.reconciler.vlans[NODE], self.br_int.port_numbers, self.br_tun.port_numbers,
            {dp.bridge: dp.port_numbers for dp in self.phys}))
        return bridge_flows(view, bridge)

    def exact(self) -> bool:
        return all(dp.installed() == self.desired(dp.bridge) for dp in self.bridges)


@pytest.fixture
def node(seed_cloud):
    return Node(seed_cloud)


def test_first_sync_commits_one_bundle_per_bridge(node):
    node.reconciler.sync(NODE)
    for dp in (node.br_int, node.br_tun):
        kinds = [kind for kind, _ in dp.log]
        assert kinds[:2] == ["port-desc", "flow-stats"]    # read before anything is sent
        assert kinds.count("open") == kinds.count("commit") == 1, kinds
        assert kinds.index("open") < kinds.index("add") < kinds.index("commit")
        assert not dp.bundles, "a bundle left open"
    assert node.exact()
    assert node.conns[BR_INT].installed == node.br_int.installed()
    # the tunnels it needs were made through OVSDB and are used by the flows
    c2 = tunnel_port_name("vxlan", node.cloud.node("compute2").tunnel_ip)
    assert c2 in node.br_tun.port_numbers
    assert any(Output(node.br_tun.port_numbers[c2]) in f.actions
               for f in node.br_tun.installed().values())


def test_a_second_sync_sends_nothing(node):
    node.reconciler.sync(NODE)
    before = {dp.bridge: len(dp.log) for dp in (node.br_int, node.br_tun)}
    node.reconciler.sync(NODE)
    for dp in (node.br_int, node.br_tun):
        assert [k for k, _ in dp.log[before[dp.bridge]:]] == ["port-desc"]  # ports re-read


def test_a_stale_flow_is_deleted_and_a_changed_one_modified(node):
    node.reconciler.sync(NODE)
    flow = next(iter(node.desired(BR_TUN).values()))
    stale = Flow(UCAST_TO_TUN, 2, (("eth_dst", "fa:16:3e:99:99:99"), ("vlan_vid", 4097)),
                 (Output(1),))
    node.br_tun.put(stale)
    changed = Flow(flow.table, flow.priority, flow.match, (Output(99),), flow.goto)
    node.br_tun.put(changed)
    node.conns[BR_TUN].installed = None  # as after a reconnect: read again
    node.reconciler.sync(NODE)
    assert [f.key for f in node.br_tun.sent("delete")] == [stale.key]
    assert [f.key for f in node.br_tun.sent("modify")] == [flow.key]
    assert node.exact()


def test_learned_entries_are_never_deleted(seed_raw):
    seed_raw["l2_population"] = False
    node = Node(schema.parse(seed_raw, "<learning>"))
    node.reconciler.sync(NODE)
    learned = Flow(UCAST_TO_TUN, 1, (("eth_dst", "fa:16:3e:49:00:b5"), ("vlan_vid", 4097)),
                   (SetField("tunnel_id", 5000), Output(2)), cookie=COOKIE_LEARNED)
    node.br_tun.put(learned)
    node.conns[BR_TUN].installed = None   # read back from the switch, learned entry included
    node.reconciler.sync(NODE)
    assert not node.br_tun.sent("delete", "raw-delete")
    assert any(e.cookie == COOKIE_LEARNED for e in node.br_tun.flows.values())
    assert node.exact()


def test_unused_tunnel_ports_are_deleted(node):
    """A tunnel to a node this one shares no network with (left from an older cloud) goes;
    patch-int and the tunnels in use stay."""
    old = tunnel_port_name("gre", "192.168.100.99")
    node.ovsdb.add_tunnel(old, "gre", {"remote_ip": "192.168.100.99", "key": "flow"})
    node.reconciler.sync(NODE)
    assert old not in node.br_tun.port_numbers
    assert PATCH_INT in node.br_tun.port_numbers
    assert tunnel_port_name("vxlan", node.cloud.node("compute2").tunnel_ip) in \
        node.br_tun.port_numbers
    assert node.exact()


def test_an_openflow_error_fails_its_bundle_and_the_next_sync_recovers(node):
    node.br_tun.refuse_commits = 1
    with pytest.raises(Refused):
        node.reconciler.sync(NODE)
    assert node.br_tun.installed() == {} and not node.br_tun.bundles
    assert node.conns[BR_TUN].installed is None      # unknown: to be read again
    stats_before = len(node.br_tun.sent("flow-stats"))
    node.reconciler.sync(NODE)                        # what the node's worker does next
    assert len(node.br_tun.sent("flow-stats")) == stats_before + 1
    assert node.exact()


def test_a_failure_inside_a_bundle_discards_it(node, monkeypatch):
    """An exception between a bundle's open and its commit (here: the encoder fails on the
    fourth flow) discards the bundle on the switch; nothing of it is applied; the next sync
    reads the bridge again and programs it."""
    calls = []
    real = wire.bundle_add

    def failing(xid, bundle, flow, command):
        calls.append(flow)
        if len(calls) == 4:
            raise ValueError("planted encoder failure")
        return real(xid, bundle, flow, command)
    monkeypatch.setattr(wire, "bundle_add", failing)
    with pytest.raises(ValueError):
        node.reconciler.sync(NODE)
    (first,) = [dp for dp in node.bridges if dp.sent("open")][:1]
    assert first.sent("discard") == first.sent("open")
    assert not first.bundles and first.installed() == {} and not first.sent("commit")
    monkeypatch.setattr(wire, "bundle_add", real)
    node.reconciler.sync(NODE)
    assert node.exact()


def test_a_silent_switch_times_out_and_the_bundle_is_discarded(node):
    node.br_int.silent = True
    with pytest.raises(ReplyTimeout):
        node.reconciler.sync(NODE)
    node.br_int.silent = False
    node.reconciler.sync(NODE)
    assert node.exact()


def test_a_reconnect_reads_the_switch_again(node):
    node.reconciler.sync(NODE)
    flows = dict(node.br_int.flows)
    again = FakeDatapath(node.replies, node.br_int.address[0], BR_INT, node.br_int.port_numbers)
    again.flows = flows                       # the same switch, a new connection
    node.br_int = again
    node.conns[BR_INT] = node.registry.connect(again, node.cloud)
    node.reconciler.sync(NODE)
    assert [k for k, _ in again.log] == ["port-desc", "flow-stats"]  # read, nothing to send
    assert node.exact()


def test_connections_are_identified_by_address_and_bridge(seed_cloud):
    replies = Replies()
    stranger = FakeDatapath(replies, "192.168.10.99", BR_INT, {})
    with pytest.raises(UnknownDatapath, match="no node's management IP"):
        Registry.identify(stranger, seed_cloud)
    other = FakeDatapath(replies, "192.168.10.11", "br-foo", {})
    with pytest.raises(UnknownDatapath, match="not one of"):
        Registry.identify(other, seed_cloud)
    assert Registry.identify(FakeDatapath(replies, "192.168.10.12", BR_TUN, {}),
                             seed_cloud) == ("compute2", BR_TUN)


# ----------------------------------------------------------------------- changes and workers
class FakeReconciler:
    def __init__(self, failures=0):
        self.calls: list[tuple] = []
        self.failures = failures
        self.advanced: list = []

    def sync(self, node):
        self.calls.append(("sync", node))
        if self.failures:
            self.failures -= 1
            raise Refused("planted: the switch refused the bundle")

    def update(self, node, changes):
        self.calls += [("update", node, change.port_id) for change in changes]

    def advance(self, change):
        self.advanced.append(change)


def _poll(predicate, timeout=3.0):
    import eventlet
    import time
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        eventlet.sleep(0.01)


def test_a_change_reaches_exactly_the_nodes_it_concerns(seed_cloud):
    from flows import incremental
    from controller.workers import Workers
    a1 = next(p for p in seed_cloud.ports if p.name == "vm-a1")
    moved = derived.replace_port(seed_cloud, a1.id, dataclasses.replace(a1, node="compute2"))
    change = incremental.plan_change(seed_cloud, moved, "move vm-a1")
    assert change.port_id == a1.id and set(change.nodes) == {"network", "compute1",
                                                              "compute2"}
    reconciler = FakeReconciler()
    workers = Workers([n.name for n in seed_cloud.nodes], reconciler)
    try:
        workers.follow(change)
        _poll(lambda: len(reconciler.calls) == 3)
        assert sorted(reconciler.calls) == sorted(("update", n, a1.id) for n in change.nodes)
        assert reconciler.advanced == [change]
    finally:
        workers.stop()


def test_two_changes_at_once_are_one_update(seed_cloud):
    from flows import incremental
    from controller.workers import NodeWorker
    ports = [p for p in seed_cloud.ports if p.node == "compute1"][:2]
    one = derived.replace_port(seed_cloud, ports[0].id, None)
    two = derived.replace_port(one, ports[1].id, None)
    reconciler = FakeReconciler()
    worker = NodeWorker("compute1", reconciler)
    try:
        worker.kick(incremental.plan_change(seed_cloud, one))
        worker.kick(incremental.plan_change(one, two))
        worker.run_once()
        assert reconciler.calls == [("update", "compute1", ports[0].id),
                                    ("update", "compute1", ports[1].id)]
        assert worker.runs == 1
    finally:
        worker.stop()


def test_a_failed_sync_is_retried(monkeypatch):
    from controller import workers
    from controller.workers import NodeWorker
    monkeypatch.setattr(workers, "RETRY_SECONDS", 0.01)
    reconciler = FakeReconciler(failures=1)
    worker = NodeWorker("compute1", reconciler)
    try:
        worker.kick()
        _poll(lambda: len(reconciler.calls) >= 2)
        assert reconciler.calls[:2] == [("sync", "compute1")] * 2
    finally:
        worker.stop()


def test_a_change_no_flow_depends_on_concerns_no_node(seed_raw):
    from flows import incremental
    cloud = schema.parse(seed_raw, "<seed>")
    seed_raw["ports"].append({"id": "aaaaaaaa-0000-4000-8000-000000000001", "name": "spare",
                              "network": "TenantA-Net", "mac": "fa:16:3e:aa:00:01"})
    seed_raw["networks"][0]["description"] = "renamed, and a spare unbound port"
    assert incremental.plan_change(cloud, schema.parse(seed_raw, "<seed>")).nodes != {}
    seed_raw["networks"][0].pop("description")
    assert incremental.plan_change(cloud, schema.parse(seed_raw, "<seed>")).nodes == {}


# ------------------------------------------------------------------------ the send path alone
def test_an_openflow_error_names_the_flow_that_caused_it(node):
    node.reconciler.sync(NODE)
    dp = node.br_tun
    flow = next(iter(node.desired(BR_TUN).values()))
    node.sender.apply(node.conns[BR_TUN], Changes(add=[], modify=[flow], delete=[]))
    xid = dp.xid - 1                                   # the modify's (the commit came last)
    text = node.sender.describe_error(dp, xid)
    assert text.startswith("modify ") and f"table={flow.table}" in text and "bundle 2" in text
    assert node.sender.describe_error(dp, 10 ** 6) == "a message that is not a flow-mod"


def test_replies_wake_their_waiter_on_error_or_lost_connection():
    replies = Replies()
    dp = object()
    key = replies.expect(dp, 7)
    replies.fail(dp, 7, "OpenFlow error type=1 code=2")
    with pytest.raises(Refused, match="commit: OpenFlow error type=1 code=2"):
        replies.wait(key, 1, "commit")
    key = replies.expect(dp, 8)
    replies.abandon(dp)
    with pytest.raises(ReplyTimeout, match="connection lost waiting for the flow-stats reply"):
        replies.wait(key, 1, "flow-stats")
    key = replies.expect(dp, 9)
    replies.receive(dp, 9, ["a"], more=True)
    replies.receive(dp, 9, ["b"])
    assert replies.wait(key, 1, "port-desc") == ["a", "b"]
    replies.receive(dp, 10, ["stray"])                 # nobody waits for it: ignored
    key = replies.expect(dp, 11)
    with pytest.raises(ReplyTimeout, match="no port-desc reply within 0s"):
        replies.wait(key, 0.01, "port-desc")
