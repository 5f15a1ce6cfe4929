"""One port's change computed incrementally equals recomputing every node (tier 1).

For each kind of change (a port added where its network already is, added on a node its
network is new to, updated, deleted, moved to another network, the last port of a network on
a node deleted), the incremental changes applied to every bridge's full old flows must give
exactly the full new flows, on every node of the cloud.
"""
import dataclasses

import pytest

from bench import synthetic
from cloud import derived
from cloud.model import Cloud, Port
from flows import localvlan
from flows.cloudsim import number_ports
from flows.desired import node_flows
from flows.incremental import port_changes
from flows.view import NodeState, NodeView


def numbering(old: Cloud, new: Cloud, node: str) -> tuple[dict, dict]:
    """One port numbering for both clouds: every device and tunnel either has."""
    a, b = number_ports(old, node), number_ports(new, node)
    int_ports = {name: i for i, name in enumerate(sorted(set(a.int_ports) | set(b.int_ports)), 1)}
    tun_ports = {name: i for i, name in enumerate(sorted(set(a.tun_ports) | set(b.tun_ports)), 1)}
    return int_ports, tun_ports


def state_of(old: Cloud, new: Cloud, node: str) -> NodeState:
    """The node before the change: its VLANs for the old cloud, ports numbered for both."""
    int_ports, tun_ports = numbering(old, new, node)
    return NodeState(localvlan.allocate({}, [n.id for n in old.networks_on(node)]),
                     int_ports, tun_ports, number_ports(old, node).phys_ports)


def full(cloud: Cloud, node: str, state: NodeState) -> dict:
    vlans = localvlan.allocate(state.vlans, [n.id for n in cloud.networks_on(node)])
    return node_flows(NodeView.of_node(cloud, node, dataclasses.replace(state, vlans=vlans)))


def check(old: Cloud, new: Cloud, port_id: str, tamper=lambda changes: changes) -> int:
    """Applies the incremental changes (after `tamper`) to every node's full old flows and
    compares with its full new flows; returns how many flow-mods the changes hold."""
    states = {node.name: state_of(old, new, node.name) for node in old.nodes}
    changes = tamper(port_changes(old, new, port_id, states.__getitem__))
    touched = 0
    for node in old.nodes:
        before, after = full(old, node.name, states[node.name]), full(new, node.name,
                                                                     states[node.name])
        for bridge, flows in before.items():
            got = dict(flows)
            c = changes.get((node.name, bridge))
            if c is not None:
                touched += len(c)
                for f in c.add + c.modify:
                    got[f.key] = f
                for f in c.delete:
                    del got[f.key]
            assert got == after[bridge], (node.name, bridge)
    return touched


def with_ports(cloud: Cloud, ports) -> Cloud:
    return dataclasses.replace(cloud, ports=tuple(ports))


@pytest.fixture
def cloud():
    return synthetic.cloud(computes=6, networks=4, ports=16)


def new_port(cloud: Cloud, network: int, node: str, n: int = 999) -> Port:
    base = synthetic.port_entry(n, network, 200, node)
    net = cloud.networks[network]
    return dataclasses.replace(cloud.ports[0], id=base["id"], name=base["name"],
                               network_id=net.id, node=node, mac=base["mac"],
                               ips=(net.cidrs[0][200],))


def test_port_added_where_its_network_already_is(cloud):
    p = new_port(cloud, 0, cloud.ports_of(cloud.networks[0].id)[0].node)
    assert p.node in cloud.hosts_of(p.network_id)
    assert check(cloud, with_ports(cloud, cloud.ports + (p,)), p.id) > 0


def test_port_added_on_a_node_its_network_is_new_to(cloud):
    spare = next(n.name for n in cloud.nodes if n.role == "compute"
                 and n.name not in cloud.hosts_of(cloud.networks[1].id))
    p = new_port(cloud, 1, spare)
    assert check(cloud, with_ports(cloud, cloud.ports + (p,)), p.id) > 0


def test_port_updated_deleted_and_moved(cloud):
    p = cloud.ports[5]
    updated = dataclasses.replace(p, mac="fa:16:3e:ee:ee:ee")
    assert check(cloud, with_ports(cloud, [updated if q is p else q for q in cloud.ports]),
                 p.id) > 0
    assert check(cloud, with_ports(cloud, [q for q in cloud.ports if q is not p]), p.id) > 0
    other = cloud.networks[2]
    moved = dataclasses.replace(p, network_id=other.id, ips=(other.cidrs[0][201],))
    assert check(cloud, with_ports(cloud, [moved if q is p else q for q in cloud.ports]),
                 p.id) > 0


def test_every_port_of_the_seed_deleted_in_turn(seed_cloud):
    for p in seed_cloud.ports:
        check(seed_cloud, with_ports(seed_cloud, [q for q in seed_cloud.ports if q is not p]),
              p.id)


def test_provider_network_ports_deleted_added_and_moved(seed_cloud):
    """VLAN and flat networks: every port deleted in turn (the last of a network on a node
    among them), one added on a node its VLAN network is new to, one moved from a VLAN to a
    VXLAN network and one from a flat to a VLAN network."""
    cloud = seed_cloud
    for p in cloud.ports:
        check(cloud, with_ports(cloud, [q for q in cloud.ports if q is not p]), p.id)
    d3 = next(p for p in cloud.ports if p.name == "vm-d3")
    e_net = next(n for n in cloud.networks if n.name == "TenantE-Net")
    spare = dataclasses.replace(d3, id="0e0e0e0e-0000-4000-8000-0000000000e2", name="vm-e2",
                                network_id=e_net.id, node="compute1", mac="fa:16:3e:e0:00:02")
    assert "compute1" not in cloud.hosts_of(e_net.id)
    assert check(cloud, with_ports(cloud, cloud.ports + (spare,)), spare.id) > 0
    a_net = cloud.networks[0]
    moved = dataclasses.replace(d3, network_id=a_net.id, ips=(a_net.cidrs[0][77],))
    assert check(cloud, with_ports(cloud, [moved if q is d3 else q for q in cloud.ports]),
                 d3.id) > 0
    f2 = next(p for p in cloud.ports if p.name == "vm-f2")
    d_net = cloud.network(d3.network_id)
    moved = dataclasses.replace(f2, network_id=d_net.id, ips=(d_net.cidrs[0][78],))
    assert check(cloud, with_ports(cloud, [moved if q is f2 else q for q in cloud.ports]),
                 f2.id) > 0


def test_a_wrong_incremental_result_is_caught(cloud):
    """(check is not vacuous: dropping the changes of one bridge fails it)"""
    p = new_port(cloud, 0, cloud.ports_of(cloud.networks[0].id)[0].node)
    with pytest.raises(AssertionError):
        check(cloud, with_ports(cloud, cloud.ports + (p,)), p.id,
              tamper=lambda changes: dict(list(changes.items())[1:]))


def test_a_derived_cloud_answers_like_a_fresh_one(cloud):
    """derived.replace_port carries the port lookups over; every query must still be right."""
    p = cloud.ports[3]
    other = cloud.networks[3]
    node = next(n.name for n in cloud.nodes if n.name != p.node and n.role == "compute")
    cases = [(p.id, None), (p.id, dataclasses.replace(p, mac="fa:16:3e:dd:dd:dd")),
             (p.id, dataclasses.replace(p, node=node, network_id=other.id)),
             ("new", dataclasses.replace(p, id="new", node=node, mac="fa:16:3e:dd:dd:de",
                                        ips=(cloud.network(p.network_id).cidrs[0][202],)))]
    for port_id, port in cases:
        changed = derived.replace_port(cloud, port_id, port)
        fresh = Cloud(**{f.name: getattr(changed, f.name) for f in dataclasses.fields(Cloud)})
        assert changed.ports == fresh.ports
        for n in cloud.nodes:
            assert set(changed.ports_on(n.name)) == set(fresh.ports_on(n.name))
            assert changed.networks_on(n.name) == fresh.networks_on(n.name)
        for net in cloud.networks:
            assert set(changed.ports_of(net.id)) == set(fresh.ports_of(net.id))
            assert changed.hosts_of(net.id) == fresh.hosts_of(net.id)
        for group in cloud.security_groups:
            assert set(changed.members(group.id)) == set(fresh.members(group.id))
            assert changed.referring({group.id}) == fresh.referring({group.id})
        if port is not None:
            assert changed.port(port_id) == port
        check(cloud, changed, port_id)


def test_single_port_change_names_the_port_or_nothing(cloud):
    from flows.incremental import single_port_change
    p = cloud.ports[2]
    assert single_port_change(cloud, derived.replace_port(cloud, p.id, None)) == p.id
    moved = derived.replace_port(cloud, p.id, dataclasses.replace(p, mac="fa:16:3e:cc:cc:cc"))
    assert single_port_change(cloud, moved) == p.id
    two = derived.replace_port(moved, cloud.ports[3].id, None)
    assert single_port_change(cloud, two) is None
    assert single_port_change(cloud, dataclasses.replace(moved, l2_population=False)) is None
    assert single_port_change(cloud, cloud) is None


def _seed_with_groups(seed_raw, edit):
    """The seed with vm-a1 in `web` (besides default) and vm-b3 in `db`, then `edit`."""
    from cloud import schema
    raw = seed_raw
    raw["security_groups"] += [
        {"name": "web", "rules": [{"direction": "ingress", "protocol": "tcp",
                                   "port_range_min": 80, "port_range_max": 80}]},
        {"name": "db", "rules": [{"direction": "ingress", "protocol": "tcp",
                                  "remote_group": "web"}]}]
    ports = {p["name"]: p for p in raw["ports"]}
    ports["vm-a1"]["security_groups"] = ["default", "web"]
    ports["vm-b3"]["security_groups"] = ["db"]
    old = schema.parse(raw, "<old>")
    edit(raw)
    return old, schema.parse(raw, "<new>")


def _group(name):
    return lambda raw: next(g for g in raw["security_groups"] if g["name"] == name)


@pytest.mark.parametrize("what, edit, concerned", [
    ("a rule of web", lambda raw: _group("web")(raw)["rules"].append(
        {"direction": "ingress", "protocol": "udp"}), {"compute1"}),
    ("a rule of db", lambda raw: _group("db")(raw)["rules"][0].update(port_range_min=5432,
                                                                         port_range_max=5432),
     {"compute2"}),
    ("db's remote-group rule gone", lambda raw: _group("db")(raw)["rules"].pop(),
     {"compute2"}),
    ("a new group, no ports", lambda raw: raw["security_groups"].append(
        {"name": "spare", "rules": [{"direction": "egress"}]}), set()),
    ("a new group with a remote-group rule, no ports", lambda raw: raw[
        "security_groups"].append({"id": "00000000-0000-4000-8000-000000000001",
                                   "name": "first", "rules": [{"direction": "ingress",
                                                               "remote_group": "web"}]}),
     set()),
    ("a description", lambda raw: _group("web")(raw).update(description="d"), set()),
    ("the default group's ICMP rule", lambda raw: _group("default")(raw)["rules"].pop(),
     {"compute1", "compute2"}),
])
def test_a_group_change_concerns_only_the_nodes_whose_flows_it_changes(seed_raw, what, edit,
                                                                       concerned):
    """Every node the plan leaves out has exactly the same flows before and after; every
    node it names has some flow changed (or conjunction ids that moved)."""
    from flows.incremental import plan_change
    old, new = _seed_with_groups(seed_raw, edit)
    change = plan_change(old, new, what)
    for node in old.nodes:
        state = state_of(old, new, node.name)
        same = full(old, node.name, state) == full(new, node.name, state)
        if node.name not in change.nodes:
            assert same, (what, node.name)
        elif isinstance(concerned, set):
            assert not same, (what, node.name, "concerned but nothing changed")
    if isinstance(concerned, set):
        assert set(change.nodes) == concerned
    else:
        assert change.nodes, what
