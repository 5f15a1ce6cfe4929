import pytest

from flows import localvlan


def test_fresh_allocation_is_ordered():
    assert localvlan.allocate({}, ["a", "b", "c"]) == {"a": 1, "b": 2, "c": 3}


def test_existing_networks_keep_their_vlan():
    prev = localvlan.allocate({}, ["a", "b", "c"])
    # b leaves, d arrives: a and c keep 1 and 3, d gets the freed 2
    assert localvlan.allocate(prev, ["a", "c", "d"]) == {"a": 1, "c": 3, "d": 2}


def test_order_of_wanted_does_not_renumber():
    prev = {"a": 7, "b": 3}
    assert localvlan.allocate(prev, ["b", "a"]) == {"a": 7, "b": 3}


def test_duplicates_in_wanted_are_one_network():
    assert localvlan.allocate({}, ["a", "a", "b"]) == {"a": 1, "b": 2}


def test_exhaustion_is_an_error():
    many = [f"n{i}" for i in range(localvlan.MAX_VLAN + 1)]
    with pytest.raises(localvlan.VlanExhausted, match="no free local VLAN for network n4094"):
        localvlan.allocate({}, many)


def test_recover_reads_vlans_back_from_both_bridges(views, seed_cloud):
    """What a restarted controller adopts: exactly the allocation the flows were made with."""
    from cloud.naming import BR_INT, BR_TUN
    from flows import desired
    view = views["compute1"]
    int_ports = {lp.port.device: lp.ofport for lp in view.ports}
    want = {n.network.id: n.vlan for n in view.networks}
    tun = desired.bridge_flows(view, BR_TUN).values()
    integ = desired.bridge_flows(view, BR_INT).values()
    assert localvlan.recover(seed_cloud, "compute1", int_ports, tun, integ) == want
    tunnelled = {n.network.id: n.vlan for n in view.tunnelled}
    assert localvlan.recover(seed_cloud, "compute1", {}, tun, ()) == tunnelled, "br-tun alone"
    assert localvlan.recover(seed_cloud, "compute1", int_ports, (), integ) == want, "br-int"
    assert localvlan.recover(seed_cloud, "compute1", int_ports, (), ()) == {}
    # no VM plugged: the tunnelled networks from br-tun, the VLAN and flat ones from br-int's
    # translation flows (int-br-eth1 with VLAN 101, untagged)
    patches = {"int-br-eth1": view.uplink(view.networks[2].network)}
    assert localvlan.recover(seed_cloud, "compute1", patches, tun, integ) == want


def test_recover_leaves_out_contradictions(views, seed_cloud):
    """A VLAN claimed by two networks is not adopted (those networks get renumbered)."""
    import dataclasses
    from cloud.naming import BR_TUN
    from flows import desired
    from flows import tables as t
    tun = list(desired.bridge_flows(views["compute1"], BR_TUN).values())
    a, b = [f for f in tun if f.table in t.TUN_TO_LV.values() and f.priority]
    b_forged = dataclasses.replace(b, actions=a.actions)  # both networks on a's VLAN
    assert localvlan.recover(seed_cloud, "compute1", {}, [a, b_forged], ()) == {}
