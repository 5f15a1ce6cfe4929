"""The controller following changes (tier 1, against the fake switch of test_controller.py):
one port's change followed incrementally without reading the switch, every reason to fall
back to a whole sync, nodes a change does not concern, tunnels checked again; and the send
path's less travelled roads (a foreign flow of our cookie, chunked writes, a bounded memory
of what was sent)."""
import dataclasses

import pytest

from cloud import derived
from cloud.naming import BR_INT, BR_TUN
from tests.unit.test_controller import NODE, Node


@pytest.fixture
def node(seed_cloud):
    return Node(seed_cloud)


# ------------------------------------------------------------ following one port incrementally
def _port_change(node, moved_to="compute2"):
    """node.cloud with compute1's first VM port moved (by default to compute2: its addresses
    and groups stay, so no firewall elsewhere follows it whole) or deleted (moved_to None),
    and the Change to it."""
    from flows import incremental
    port = next(p for p in node.cloud.ports_on(NODE) if p.device.startswith("tap"))
    new = derived.replace_port(node.cloud,
        port.id, dataclasses.replace(port, node=moved_to) if moved_to else None)
    return incremental.plan_change(node.cloud, new, f"test {port.name}"), new


def _since(dp, mark):
    return [kind for kind, _ in dp.log[mark:]]


def test_a_port_change_is_followed_without_reading_the_switch(node):
    node.reconciler.sync(NODE)
    change, new = _port_change(node)
    assert change.port_id and change.nodes[NODE] not in (None, "whole")
    marks = {dp: len(dp.log) for dp in (node.br_int, node.br_tun)}
    node.cloud = new
    node.reconciler.update(NODE, [change])
    sent = {dp.bridge: _since(dp, marks[dp]) for dp in marks}
    assert "delete" in sent[BR_INT]                 # the port's flows went, in a bundle
    for kinds in sent.values():
        assert "flow-stats" not in kinds and "port-desc" not in kinds, kinds
        assert kinds.count("open") == kinds.count("commit") <= 1
    assert node.reconciler.synced[NODE] is new
    assert node.exact()


@pytest.mark.parametrize("told", ["worker", "history"])
@pytest.mark.parametrize("moves", [("compute2", None), (None, "compute2")])
def test_changes_that_arrive_together_go_out_in_one_bundle_per_bridge(node, moves, told):
    """Two ports' changes (one concerning this node, one a node elsewhere) and a third that
    undoes part of the first: one bundle per bridge, and the bridges end exact."""
    from flows import incremental
    node.reconciler.sync(NODE)
    taps = [p for p in node.cloud.ports_on(NODE) if p.device.startswith("tap")]
    first = taps[0]     # (each network keeps another port here: no network leaves the node)
    second = next(p for p in taps if p.network_id != first.network_id)
    start = node.cloud
    one = derived.replace_port(start, first.id, dataclasses.replace(first, node=moves[0])
                               if moves[0] else None)
    two = derived.replace_port(one, second.id, dataclasses.replace(second, node=moves[1])
                               if moves[1] else None)
    three = derived.replace_port(two, first.id, first)      # the first one back
    changes = [incremental.plan_change(a, b) for a, b in ((start, one), (one, two),
                                                            (two, three))]
    marks = {dp: len(dp.log) for dp in (node.br_int, node.br_tun)}
    node.cloud = three
    if told == "history":   # (the worker heard of the last only: the Keeper knows the rest)
        node.reconciler.history = lambda cloud: next(
            (changes[i:] for i, c in enumerate(changes) if c.old is cloud), None)
        node.reconciler.update(NODE, changes[-1:])
    else:
        node.reconciler.update(NODE, changes)
    for dp, mark in marks.items():
        kinds = _since(dp, mark)
        assert "flow-stats" not in kinds and "port-desc" not in kinds, kinds
        assert kinds.count("open") == kinds.count("commit") <= 1
    assert node.reconciler.synced[NODE] is three
    assert node.exact()
    # a broken run (a change missing between two) is a sync
    node.cloud = derived.replace_port(three, first.id, None)
    node.reconciler.update(NODE, [incremental.plan_change(two, node.cloud)])
    assert node.exact() and node.reconciler.synced[NODE] is node.cloud


@pytest.mark.parametrize("why", ["cloud moved on", "ports changed", "no sync yet",
                                 "bridge not read", "whole", "bridge missing"])
def test_a_change_that_cannot_be_followed_is_a_sync(node, why):
    from flows import incremental
    if why != "no sync yet":
        node.reconciler.sync(NODE)
    change, new = _port_change(node)
    node.cloud = new
    if why == "cloud moved on":
        node.cloud = derived.replace_port(new, next(iter(new.ports_on(NODE))).id, None)
    elif why == "ports changed":
        node.reconciler.ports_stale.add(NODE)
    elif why == "bridge not read":
        node.conns[BR_TUN].installed = None
    elif why == "whole":
        change = dataclasses.replace(change, nodes={**change.nodes, NODE: incremental.WHOLE})
    elif why == "bridge missing":
        node.registry.disconnect(node.br_tun)
    mark = len(node.br_int.log)
    node.reconciler.update(NODE, [change])
    assert "port-desc" in _since(node.br_int, mark)      # a sync reads the ports first
    assert NODE not in node.reconciler.ports_stale
    if why != "bridge missing":
        assert node.exact() and node.reconciler.synced[NODE] is node.cloud
    else:
        assert NODE not in node.reconciler.synced or \
            node.reconciler.synced[NODE] is not node.cloud


def test_nodes_a_change_does_not_concern_advance_with_it(node):
    from flows import incremental
    node.reconciler.sync(NODE)
    old = node.cloud
    new = derived.replace_port(old, next(p for p in old.ports if p.node == "compute2").id, None)
    change = incremental.plan_change(old, new)
    if NODE in change.nodes:      # (compute1 shares the network: make one that skips it)
        change = dataclasses.replace(change, nodes={"compute2": incremental.WHOLE})
    node.reconciler.advance(change)
    assert node.reconciler.synced[NODE] is new
    stale = incremental.plan_change(new, old)  # not from what compute1 is exact for
    node.reconciler.synced[NODE] = old
    node.reconciler.advance(dataclasses.replace(stale, nodes={}))
    assert node.reconciler.synced[NODE] is old


def test_forgotten_tunnels_are_checked_again(node):
    node.reconciler.sync(NODE)
    transactions = node.ovsdb.transactions
    node.reconciler.sync(NODE)
    assert node.ovsdb.transactions == transactions     # known: OVSDB not asked
    node.reconciler.forget_tunnels(NODE)
    node.reconciler.sync(NODE)
    assert node.ovsdb.transactions > transactions


# ------------------------------------------------------------------ the send path's byways
def test_a_flow_of_our_cookie_outside_the_pipeline_is_deleted(node, caplog):
    from os_ken.ofproto import ofproto_v1_3 as ofp
    from os_ken.ofproto import ofproto_v1_3_parser as parser
    from flows.tables import COOKIE
    node.reconciler.sync(NODE)
    match = parser.OFPMatch(in_port=1, eth_type=0x0800)
    alien = parser.OFPFlowMod(node.br_tun, cookie=COOKIE, table_id=0, priority=7, match=match,
                              instructions=[parser.OFPInstructionActions(
                                  ofp.OFPIT_APPLY_ACTIONS, [parser.OFPActionSetQueue(3)])])
    node.br_tun.flows[node.br_tun._key(alien)] = alien
    node.conns[BR_TUN].installed = None
    mods = node.conns[BR_TUN].flow_mods
    node.reconciler.sync(NODE)
    (deleted,) = node.br_tun.sent("raw-delete")
    assert (deleted.command, deleted.table_id, deleted.priority, deleted.cookie,
            deleted.cookie_mask, dict(deleted.match.items())) == (
        ofp.OFPFC_DELETE_STRICT, 0, 7, COOKIE, 0xFFFFFFFFFFFFFFFF, dict(match.items()))
    assert deleted.out_port == ofp.OFPP_ANY and deleted.out_group == ofp.OFPG_ANY
    assert node.br_tun._key(alien) not in node.br_tun.flows
    assert node.conns[BR_TUN].flow_mods == mods + 1
    assert "outside the pipeline (action OFPActionSetQueue)" in caplog.text
    assert node.exact()


def test_bundle_adds_are_written_in_chunks(node, monkeypatch):
    from controller import sender as sender_module
    monkeypatch.setattr(sender_module, "CHUNK_BYTES", 400)
    writes = []
    real = node.br_int.send
    node.br_int.send = lambda data: (writes.append(len(data)), real(data))
    node.reconciler.sync(NODE)
    flows = len(node.desired(BR_INT))
    assert len(node.br_int.sent("add")) == flows
    assert 1 < len(writes) < flows and all(size >= 400 for size in writes[:-1])
    assert node.exact()


def test_the_send_path_remembers_only_the_latest_messages(node, monkeypatch):
    from controller import sender as sender_module
    monkeypatch.setattr(sender_module, "MAX_REMEMBERED", 5)
    node.reconciler.sync(NODE)
    assert len(node.sender._sent) == 5
    last = node.br_tun.xid
    assert node.sender.describe_error(node.br_tun, last).startswith("commit of bundle")
    assert node.sender.describe_error(node.br_tun, 1) == "a message that is not a flow-mod"


def test_every_message_sent_is_remembered_by_its_xid(node):
    """An OpenFlow error names what it answers: each bundle-add by its verb, flow and bundle,
    each control message by what it was."""
    from flows import ofctl
    node.reconciler.sync(NODE)
    dp = node.br_tun
    assert dp.xids and [x for x, *_ in dp.xids] == sorted({x for x, *_ in dp.xids})
    for xid, verb, flow, bundle in dp.xids:
        assert node.sender.describe_error(dp, xid) == f"{verb} {ofctl.render(flow)} " \
                                                      f"(bundle {bundle})"
    first, last = dp.xids[0][0], dp.xids[-1][0]
    assert node.sender.describe_error(dp, first - 1) == "open of bundle 1"
    assert node.sender.describe_error(dp, last + 1) == "commit of bundle 1"
    assert node.sender.describe_error(dp, 1) == "port-desc"
    assert node.sender.describe_error(dp, 2) == "flow-stats"


def test_nothing_to_send_sends_nothing_and_mods_are_counted(node):
    from flows.diff import Changes
    node.reconciler.sync(NODE)
    conn = node.conns[BR_INT]
    before, log = conn.flow_mods, len(node.br_int.log)
    assert node.sender.apply(conn, Changes(add=[], modify=[], delete=[])) == 0
    assert len(node.br_int.log) == log and conn.flow_mods == before
    flow = next(iter(node.desired(BR_INT).values()))
    assert node.sender.apply(conn, Changes(add=[], modify=[], delete=[flow])) == 1
    assert node.sender.apply(conn, Changes(add=[flow], modify=[], delete=[])) == 1
    assert conn.flow_mods == before + 2 and flow.key in conn.installed
    assert node.exact()


def test_each_flow_mod_is_logged_at_debug_level(node, caplog):
    import logging

    from flows import ofctl
    with caplog.at_level(logging.DEBUG, logger="overlay.sender"):
        node.reconciler.sync(NODE)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    flow = next(iter(node.desired(BR_TUN).values()))
    assert f"{node.conns[BR_TUN].label}: bundle 1: add {ofctl.render(flow)}" in lines
    assert len(lines) == sum(len(dp.sent("add")) for dp in node.bridges)


def test_a_learned_entry_first_in_the_reply_hides_nothing(node):
    """The learn action's entries are skipped wherever they come in the flow-stats reply."""
    from flows.flow import Flow, Output, SetField
    from flows.tables import COOKIE_LEARNED, UCAST_TO_TUN
    node.reconciler.sync(NODE)
    learned = Flow(UCAST_TO_TUN, 1, (("eth_dst", "fa:16:3e:49:00:b5"), ("vlan_vid", 4097)),
                   (SetField("tunnel_id", 5000), Output(2)), cookie=COOKIE_LEARNED)
    node.br_tun.put(learned)
    key = next(k for k, e in node.br_tun.flows.items() if e.cookie == COOKIE_LEARNED)
    node.br_tun.flows = {key: node.br_tun.flows[key],
                         **{k: e for k, e in node.br_tun.flows.items() if k != key}}
    node.conns[BR_TUN].installed = None
    node.reconciler.sync(NODE)
    assert ("open", 2) not in node.br_tun.log          # read back whole: nothing to add
    assert node.conns[BR_TUN].installed == node.desired(BR_TUN)


def test_the_tunnel_ports_are_made_as_recorded(node):
    """The OVSDB transactions of compute1's first sync (tests/golden/ovsdb_compute1.json):
    the reads, then one write with its wait, comment, inserts and the bridge's mutate, with
    the options Neutron sets on a tunnel interface."""
    import json

    from tests.support import golden
    node.reconciler.sync(NODE)
    golden.check("ovsdb_compute1.json", json.dumps(node.ovsdb.sent, indent=1) + "\n",
                 "the OVSDB transactions of a first sync")


def test_tunnels_follow_l2pop_or_make_the_full_mesh(uneven_cloud):
    import dataclasses

    from flows.tunnels import desired_tunnels, network_tunnels
    c = uneven_cloud
    net_c = next(n for n in c.networks if n.name == "TenantC-Net")
    net_b = next(n for n in c.networks if n.name == "TenantB-Net")
    assert desired_tunnels(c, "compute5") == {} == network_tunnels(c, "compute5", net_c)
    assert {s.remote_node for s in network_tunnels(c, "compute1", net_b).values()} == \
        {"compute4"}
    mesh = dataclasses.replace(c, l2_population=False)
    others = {n.name for n in c.nodes} - {"compute5"}
    assert {s.remote_node for s in network_tunnels(mesh, "compute5", net_c).values()} == others
    assert {(s.remote_node, s.type) for s in desired_tunnels(mesh, "compute5").values()} == \
        {(n, kind) for n in others for kind in ("vxlan", "gre")}


def test_a_restarted_controller_adopts_the_switches_local_vlans(node):
    """A new Reconciler (the controller restarted) over programmed switches: the local VLANs
    are read back from the flows and ports, so its first sync sends nothing."""
    from controller.reconciler import Reconciler
    node.reconciler.sync(NODE)
    vlans = dict(node.reconciler.vlans[NODE])
    assert node.ovsdb.target == f"tcp:{node.cloud.node(NODE).management_ip}:6640"
    again = Reconciler(lambda: node.cloud, node.registry, node.sender, 6641, ovsdb=node.ovsdb)
    for bridge in (BR_INT, BR_TUN):
        node.conns[bridge].installed = None
    marks = {dp: len(dp.log) for dp in (node.br_int, node.br_tun)}
    again.sync(NODE)
    assert again.vlans[NODE] == vlans and node.ovsdb.target.endswith(":6641")
    for dp, mark in marks.items():
        assert [k for k, _ in dp.log[mark:]] == ["port-desc", "flow-stats"], dp.bridge


def test_a_node_with_only_br_int_connected_is_synced_as_far_as_it_goes(node):
    node.registry.disconnect(node.br_tun)
    node.reconciler.sync(NODE)
    assert node.br_int.installed() == node.desired(BR_INT)
    assert node.br_tun.installed() == {} and NODE not in node.reconciler.synced


def test_a_members_change_is_followed_without_reading_the_switch(node):
    """vm-c1 (compute2, a network compute1 does not host) readdressed: compute1's firewall
    admits its new address, not its old one, through the default group's remote-group
    rule; only those member flows change, followed incrementally."""
    import ipaddress
    from flows import incremental
    node.reconciler.sync(NODE)
    c1 = next(p for p in node.cloud.ports if p.name == "vm-c1")
    moved = dataclasses.replace(c1, ips=(ipaddress.ip_address("10.0.2.9"),))
    new = derived.replace_port(node.cloud, c1.id, moved)
    change = incremental.plan_change(node.cloud, new, "test vm-c1")
    assert change.nodes[NODE] == incremental.NodeWork(incremental.MEMBERS_KIND,
                                                      members=c1.security_groups)
    marks = {dp: len(dp.log) for dp in (node.br_int, node.br_tun)}
    node.cloud = new
    node.reconciler.update(NODE, [change])
    sent = {dp.bridge: _since(dp, marks[dp]) for dp in marks}
    assert "delete" in sent[BR_INT] and sent[BR_TUN] == [], "only 10.0.2.4's member flows"
    for kinds in sent.values():
        assert "flow-stats" not in kinds and "port-desc" not in kinds, kinds
    assert node.exact()
