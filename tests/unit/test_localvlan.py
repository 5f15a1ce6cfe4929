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
