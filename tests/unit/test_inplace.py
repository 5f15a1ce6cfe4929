"""A port's change made in place (cloud/inplace.py) gives exactly what the general path
(copy the document, validate all of it) gives: the same answer or refusal, document, cloud,
records, planned Change and store, over a random sequence of changes (tier 1).

Two Keepers start from the seed, one with the in-place path and one without; each step is
one request (mostly ports: creates, updates, deletes, tags, good and bad; now and then a
network, subnet, security group or floating IP, which rebuild the indexes) sent to both,
with the same ids, MACs and time.
"""
import dataclasses
import random
import uuid

import pytest

from cloud import attributes, ops, ops_l3, ops_ports, ops_sg, ops_subnets
from cloud.errors import Refused
from controller import keeper as keeper_module
from controller.keeper import Keeper
from controller.store import Store
from flows import cloudsim, desired
from flows.view import NodeView
from tests.conftest import SEED

STEPS = 400
BOGUS = "00000000-0000-4000-8000-000000000000"


class Deterministic:
    """uuid4 and the MAC allocator's Random as a function of (step, call within the op):
    the in-place path may run an operation once more the general way, which must then
    allocate what the other Keeper allocated."""

    def __init__(self, monkeypatch):
        self.step = 0
        self.calls = 0
        monkeypatch.setattr(uuid, "uuid4", self._uuid)
        monkeypatch.setattr(random, "Random", self._random)
        monkeypatch.setattr(keeper_module, "now",
                            lambda: f"2026-12-01T00:00:{self.step % 60:02d}Z")

    def _uuid(self):
        self.calls += 1
        return uuid.uuid5(uuid.NAMESPACE_URL, f"inplace:{self.step}:{self.calls}")

    def _random(self, *args):
        self.calls += 1
        return _Seeded(f"{self.step}:{self.calls}")

    def wrap(self, op):
        def run(doc):
            self.calls = 0
            return op(doc)
        return run


_REAL_RANDOM = random.Random


class _Seeded(_REAL_RANDOM):
    def __init__(self, seed):
        super().__init__(seed)


def _store(tmp_path, name):
    return Store(str(tmp_path / f"{name}.sqlite"))


def _body(rng, cloud, doc):
    """A port create body, often good, sometimes not."""
    nets = [n.id for n in cloud.networks] + [BOGUS]
    nodes = [n.name for n in cloud.nodes] + ["nowhere"]
    attrs = {"network_id": rng.choice(nets)}
    if rng.random() < 0.8:
        attrs["binding:host_id"] = rng.choice(nodes)
    if rng.random() < 0.3:
        attrs["name"] = rng.choice(["vm", "web", "db", ""])
    if rng.random() < 0.15:
        macs = [p["mac"] for p in doc["ports"]] + ["fa:16:3e:12:34:56", "fa:16:3e:99:99:99"]
        attrs["mac_address"] = rng.choice(macs)
    if rng.random() < 0.2:
        net = cloud.network(attrs["network_id"]) if attrs["network_id"] != BOGUS else None
        if net is not None and net.subnets:
            cidr = rng.choice(net.subnets).cidr
            attrs["fixed_ips"] = [{"ip_address": str(cidr[rng.choice([1, 2, 3, 5, 77, 200])])}]
    if rng.random() < 0.15:
        groups = [g.id for g in cloud.security_groups] + [BOGUS]
        attrs["security_groups"] = [rng.choice(groups)]
    if rng.random() < 0.1:
        attrs["port_security_enabled"] = False
        if rng.random() < 0.5:
            attrs["security_groups"] = []
    if rng.random() < 0.08:
        attrs["allowed_address_pairs"] = [{"ip_address": "10.0.0.250",
                                           **({"mac_address": "fa:16:3e:99:99:99"}
                                              if rng.random() < 0.5 else {})}]
    if rng.random() < 0.08:
        attrs["project_id"] = rng.choice(["tenantx", "tenanty"])
    if rng.random() < 0.05:
        attrs["device_owner"] = rng.choice(["network:dhcp", "compute:nova", "compute:az2"])
    return attrs


def _update_body(rng, cloud):
    attrs = {}
    choice = rng.randrange(6)
    if choice == 0:
        attrs["name"] = rng.choice(["renamed", "x", ""])
    elif choice == 1:
        attrs["binding:host_id"] = rng.choice([n.name for n in cloud.nodes] + ["", "nowhere"])
    elif choice == 2:
        attrs["security_groups"] = rng.choice([[], [g.id for g in cloud.security_groups][:1]])
    elif choice == 3:
        attrs["port_security_enabled"] = rng.random() < 0.5
    elif choice == 4:
        attrs["fixed_ips"] = []
    else:
        attrs["description"] = "changed"
    return attrs


def _request(rng, k):
    """(operation, what, in_place) of one random request against Keeper k's state."""
    cloud, doc = k.cloud, k.doc
    ports = [p["id"] for p in doc["ports"]] + [BOGUS]
    roll = rng.random()
    if roll < 0.45:
        attrs = _body(rng, cloud, doc)
        return (lambda d: ops_ports.create_port(d, attributes.request(
            "ports", {"port": attrs})), "create port", True)
    if roll < 0.65:
        ident, attrs = rng.choice(ports), _update_body(rng, cloud)
        return (lambda d: ops_ports.update_port(d, ident, attributes.request(
            "ports", {"port": attrs}, update=True)), f"update port {ident}", True)
    if roll < 0.83:
        ident = rng.choice(ports)
        return (lambda d: ops_ports.delete_port(d, ident), f"delete port {ident}", True)
    if roll < 0.88:
        ident, tags = rng.choice(ports), rng.choice([["a"], ["a", "b"], []])
        return (lambda d: ops.set_tags(d, "ports", ident, tags), f"tags {ident}", True)
    if roll < 0.91:
        n = rng.randrange(1000)
        return (lambda d: ops.create_network(d, {"name": f"n{n}"}), "create network", False)
    if roll < 0.94:
        nets = [e["id"] for e in doc["networks"] if not e.get("subnets")]
        if nets:
            net, n, dhcp = rng.choice(nets), rng.randrange(200), rng.random() < 0.5
            return (lambda d: ops_subnets.create_subnet(d, {
                "network_id": net, "ip_version": 4, "cidr": f"10.{n}.0.0/24",
                "enable_dhcp": dhcp}), "create subnet", False)
    if roll < 0.96:
        return (lambda d: ops_sg.create_security_group(d, {"name": "sg"}), "create group",
                False)
    if roll < 0.98 and doc.get("floating_ips"):
        fip, port = rng.choice(doc["floating_ips"])["id"], rng.choice(ports + [None])
        return (lambda d: ops_l3.update_floating_ip(d, fip, {"port_id": port}),
                "update floating ip", False)
    ident = rng.choice(ports)
    return (lambda d: ops_ports.delete_port(d, ident), f"delete port {ident}", True)


def _outcome(k, op, what, in_place):
    try:
        return ("ok", k.change(op, what, in_place=in_place))
    except Refused as exc:
        return ("refused", exc.status, str(exc))


def _flows(cloud):
    states = cloudsim.fresh_states(cloud)
    return {(n.name, bridge): desired.bridge_flows(NodeView.of_node(cloud, n.name,
                                                                    states[n.name]), bridge)
            for n in cloud.nodes for bridge in desired.bridges_of(n)}


def _same(a, b):
    assert a.version == b.version
    assert a.doc == b.doc
    assert a.cloud == b.cloud
    assert a.records == b.records
    for n in b.cloud.nodes:
        assert a.cloud.ports_on(n.name) == b.cloud.ports_on(n.name)
    for net in b.cloud.networks:
        assert a.cloud.ports_of(net.id) == b.cloud.ports_of(net.id)
        assert a.cloud.hosts_of(net.id) == b.cloud.hosts_of(net.id)
    for group in b.cloud.security_groups:
        assert a.cloud.members(group.id) == b.cloud.members(group.id)
    for port in b.cloud.ports + b.cloud.unbound:
        assert a.cloud.any_port(port.id) == port


@pytest.mark.parametrize("seed", [1, 2])
def test_in_place_changes_equal_the_general_path(tmp_path, monkeypatch, seed, caplog):
    rng = random.Random(seed)
    det = Deterministic(monkeypatch)
    changes_a, changes_b = [], []
    a = Keeper(_store(tmp_path, "a"), SEED, changes_a.append)
    b = Keeper(_store(tmp_path, "b"), SEED, changes_b.append, in_place=False)
    refused = 0
    for step in range(STEPS):
        det.step = step
        op, what, in_place = _request(rng, b)
        got_a = _outcome(a, det.wrap(op), what, in_place)
        got_b = _outcome(b, det.wrap(op), what, in_place)
        assert got_a == got_b, (step, what)
        refused += got_a[0] == "refused"
        _same(a, b)
        if got_a[0] == "ok":
            ca, cb = changes_a[-1], changes_b[-1]
            assert (ca.nodes, ca.port_id, ca.what) == (cb.nodes, cb.port_id, cb.what), step
        if step % 100 == 99:
            assert _flows(a.cloud) == _flows(b.cloud)
    assert Store(a.store.path).load() == (a.version, a.doc)
    assert Store(b.store.path).load() == (b.version, b.doc)
    again = Keeper(Store(a.store.path), SEED, lambda c: None).cloud
    assert dataclasses.replace(again, source=a.cloud.source) == a.cloud
    # the sequence exercised both paths and both answers, and the in-place path never failed
    assert a.in_place_count > STEPS // 4 and b.in_place_count == 0
    assert "in-place path failed" not in caplog.text
    assert STEPS // 10 < refused < STEPS // 2 + STEPS // 4
