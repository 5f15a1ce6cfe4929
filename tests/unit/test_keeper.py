"""The Keeper (the one owner of the cloud), its store and the node workers, without a switch:
revision numbers and timestamps as Neutron keeps them, a store that saves all or nothing, a
restarted Keeper reading its store, and a worker that follows a lone port change
incrementally and anything else by a whole sync."""
import dataclasses
import json
import re
import sqlite3

import pytest

from cloud.errors import Refused
from cloud.neutron import Record
from cloud.schema_net import subnet_id
from controller import keeper as keeper_module
from controller.keeper import Keeper, now, resources
from controller.store import Store
from tests.conftest import SEED

NET = "11111111-0000-4000-8000-000000000001"
EXT = "22222222-0000-4000-8000-000000000002"


def test_now_is_utc_to_the_second():
    stamp = now()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp), stamp
    import calendar
    import time
    # UTC: read back as UTC it is now (local time would be hours off on a machine not in UTC)
    assert abs(calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")) - time.time()) < 5


def test_every_resource_has_a_record_key_even_without_a_stored_id():
    gateway = {"port_id": "g1", "ip": "10.1.101.5"}
    doc = {"networks": [{"id": NET, "subnets": [{"cidr": "10.7.0.0/24"},
                                                 {"id": "s2", "cidr": "fd07::/64"}]}],
           "ports": [{"id": "p1"}], "routers": [{"id": "r1", "gateway": gateway},
                                                {"id": "r2", "gateway": None}],
           "floating_ips": [{"id": "f1"}],
           "external": {"id": EXT, "cidr": "10.1.101.0/24"}}
    got = dict(resources(doc))
    assert list(got) == [NET, subnet_id(NET, "10.7.0.0/24"), "s2", "p1", "r1", "r2", "f1",
                         "g1", EXT, subnet_id(EXT, "10.1.101.0/24")]
    assert got["g1"] is gateway and got[EXT] is doc["external"]
    doc["external"]["subnet_id"] = "es"
    assert list(resources(doc))[-1] == ("es", doc["external"])
    assert list(resources({})) == []


@pytest.fixture
def stamps(monkeypatch):
    """now() answers t1, t2, ... in turn."""
    times = iter(f"2026-01-01T00:00:{s:02d}Z" for s in range(1, 60))
    monkeypatch.setattr(keeper_module, "now", lambda: next(times))


def _rename(ident, name):
    def op(doc):
        for net in doc["networks"]:
            if net["id"] == ident:
                net["name"] = name
        return doc
    return op


def test_revisions_and_timestamps_follow_changes(tmp_path, stamps):
    changes = []
    k = Keeper(Store(str(tmp_path / "s.sqlite")), SEED, changes.append)
    net = k.doc["networks"][0]["id"]
    assert k.records[net] == Record(1, "2026-01-01T00:00:01Z", "2026-01-01T00:00:01Z")
    assert k.version == 1 and k.cloud.source == SEED
    untouched = k.doc["networks"][1]["id"]
    result = k.change(_rename(net, "renamed"), "rename")
    assert result is None and k.version == 2
    assert k.records[net] == Record(2, "2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z")
    assert k.records[untouched] == Record(1, "2026-01-01T00:00:01Z", "2026-01-01T00:00:01Z")
    assert changes[-1].what == "rename" and changes[-1].old is not changes[-1].new
    assert k.cloud is changes[-1].new and k.cloud.network(net).name == "renamed"
    k.change(lambda doc: (_rename(net, "again")(doc), "it"), "rename")
    assert changes[-1].what == "rename it" and k.records[net].revision_number == 3
    # a resource the store has no record of (an older state file) starts from revision 1
    del k.records[net]
    k.change(_rename(net, "third"), "rename")
    assert k.records[net] == Record(1, "2026-01-01T00:00:04Z", "2026-01-01T00:00:04Z")


def test_a_removed_resource_loses_its_record_and_a_restart_reads_the_store(tmp_path, stamps):
    path = str(tmp_path / "s.sqlite")
    k = Keeper(Store(path), SEED, lambda change: None)
    port = next(p["id"] for p in k.doc["ports"] if p["name"] == "vm-b3")

    def drop(doc):
        doc["ports"] = [p for p in doc["ports"] if p["id"] != port]
        return doc
    k.change(drop, "drop")
    assert port not in k.records and port not in Store(path).records()
    again = Keeper(Store(path), "/nonexistent/seed.yaml", lambda change: None)
    assert (again.version, again.doc, again.records) == (k.version, k.doc, k.records)
    assert again.cloud.source == path and k.cloud.source == "api"   # (errors name them)
    assert dataclasses.replace(again.cloud, source="api") == k.cloud


def test_an_invalid_result_is_refused_naming_every_fault(tmp_path):
    k = Keeper(Store(str(tmp_path / "s.sqlite")), SEED, lambda change: None)
    before = (k.version, dict(k.records), Store(k.store.path).load())

    def breaks(doc):
        doc["ports"][0]["mac"] = "nonsense"
        doc["ports"][1]["node"] = "compute9"
        return doc
    with pytest.raises(Refused) as info:
        k.change(breaks, "break")
    assert info.value.status == 400
    assert info.value.message.startswith("Invalid input: ports[0]"), info.value.message
    assert "; ports[1]" in info.value.message
    assert (k.version, dict(k.records), Store(k.store.path).load()) == before


def test_the_store_saves_all_or_nothing(tmp_path):
    store = Store(str(tmp_path / "s.sqlite"))
    store.save(1, {"b": 1, "a": 2}, {"x": Record(1, "t", "t")})
    with pytest.raises(sqlite3.Error):
        store.save(2, {"a": 3}, {"y": Record(1, "t", "t"), "z": Record(object(), "t", "t")})
    assert store.load() == (1, {"a": 2, "b": 1})
    assert store.records() == {"x": Record(1, "t", "t")}
    store.save(2, {"a": 3}, {"y": Record(2, "t", "u")}, removed={"x"})
    assert Store(store.path).load() == (2, {"a": 3})
    assert Store(store.path).records() == {"y": Record(2, "t", "u")}
    text = store.db.execute("SELECT doc FROM cloud").fetchone()[0]
    assert text == '{"a": 3}'


# ------------------------------------------------------------------------------ node workers
class Calls:
    def __init__(self):
        self.calls = []

    def sync(self, node):
        self.calls.append(("sync", node))

    def update(self, node, changes):
        self.calls.append(("update", node, tuple(c.port_id for c in changes)))


class OnePort:
    port_id = "p1"


def test_port_changes_are_an_update_together_and_anything_more_a_sync():
    from controller.workers import NodeWorker
    reconciler = Calls()
    worker = NodeWorker("compute1", reconciler)
    try:
        worker.kick(OnePort())
        worker.run_once()
        worker.kick(OnePort())
        worker.kick(OnePort())              # arrived together: one update
        worker.run_once()
        worker.kick(OnePort())
        worker.kick()                       # and a switch event: whole
        worker.run_once()
        worker.run_once()                   # nothing pending: a sync anyway (a kick's run)
        assert reconciler.calls == [("update", "compute1", ("p1",)),
                                    ("update", "compute1", ("p1", "p1")),
                                    ("sync", "compute1"), ("sync", "compute1")]
        assert worker.runs == 4 and worker.full is False and worker.changes == []
    finally:
        worker.stop()


def test_a_bug_in_a_sync_is_logged_and_retried(monkeypatch, caplog):
    from controller import workers
    from controller.workers import NodeWorker
    spawned = []
    monkeypatch.setattr(workers.hub, "spawn_after", lambda *args: spawned.append(args))

    class Broken(Calls):
        def sync(self, node):
            raise KeyError("planted")
    worker = NodeWorker("compute1", Broken())
    try:
        worker.run_once()
        assert spawned == [(workers.RETRY_SECONDS, worker.kick)]
        assert "compute1: sync failed" in caplog.text and "KeyError" in caplog.text
    finally:
        worker.stop()


def test_a_store_without_default_groups_gets_them_written_on_load(tmp_path):
    """A document stored before every project's default group was written into it (as by
    an older controller): loaded, its default group is there to change through the API."""
    import json

    from cloud import ops_sg, schema
    from cloud.meta import DEFAULT_PROJECT
    from cloud.schema_sg import default_group_id
    doc = json.loads(json.dumps(schema.read(SEED)))
    del doc["security_groups"]
    doc = {**doc, "ports": [{k: v for k, v in p.items() if k != "security_groups"}
                            for p in doc["ports"]]}
    path = str(tmp_path / "s.sqlite")
    Store(path).save(7, doc, {})
    k = Keeper(Store(path), "/nonexistent/seed.yaml", lambda change: None)
    gid = default_group_id(DEFAULT_PROJECT)
    assert [g["id"] for g in k.doc["security_groups"]] == [gid]
    rule = k.change(lambda d: ops_sg.create_security_group_rule(d, {
        "security_group_id": gid, "direction": "ingress", "protocol": "tcp"}), "rule")
    assert any(r.id == rule for r in k.cloud.security_group(gid).rules)


def test_changes_since_a_cloud_are_the_recent_ones_after_it(tmp_path):
    from cloud import ops
    k = Keeper(Store(str(tmp_path / "s.sqlite")), SEED, lambda change: None)
    first = k.cloud
    assert k.changes_since(first) == [] and k.changes_since(None) is None
    for n in range(3):
        k.change(lambda d, n=n: ops.create_network(d, {"name": f"n{n}"}), "create network")
    since = k.changes_since(first)
    assert [c.old for c in since][0] is first and since[-1].new is k.cloud
    assert all(a.new is b.old for a, b in zip(since, since[1:], strict=False))
    assert k.changes_since(since[1].old) == since[1:]


def test_fewer_changes_are_kept_in_a_larger_cloud(tmp_path, monkeypatch):
    from cloud import ops
    monkeypatch.setattr(keeper_module, "RECENT_PORTS", 50)   # the seed: 20 ports, 2 kept
    k = Keeper(Store(str(tmp_path / "s.sqlite")), SEED, lambda change: None)
    first = k.cloud
    for n in range(4):
        k.change(lambda d, n=n: ops.create_network(d, {"name": f"n{n}"}), "create network")
    assert len(k.recent) == 2 and k.changes_since(first) is None
    assert [c.new for c in k.changes_since(k.recent[0].old)] == [k.recent[0].new, k.cloud]


def test_a_store_of_the_earlier_form_is_read_and_rewritten(tmp_path):
    """A store written before ports had rows of their own (the whole document in one row)
    reads as it was and is rewritten: ports in rows, in order, the document's a placeholder."""
    path = str(tmp_path / "old.sqlite")
    store = Store(path)
    doc = {"cloud": "c", "ports": [{"id": "b", "mac": "2"}, {"id": "a", "mac": "1"}]}
    store.db.execute("INSERT INTO cloud (id, version, doc) VALUES (1, 3, ?)", (json.dumps(doc),))
    assert Store(path).load() == (3, doc)
    rows = sqlite3.connect(path).execute("SELECT id FROM ports ORDER BY seq").fetchall()
    assert rows == [("b",), ("a",)]
    text = sqlite3.connect(path).execute("SELECT doc FROM cloud").fetchone()[0]
    assert json.loads(text)["ports"] == [] and Store(path).load() == (3, doc)
