from flows import tables as t
from flows.diff import diff
from flows.flow import Flow, Output, match


def flows(*items):
    return {f.key: f for f in items}


A = Flow(60, 3, match(vlan_vid=0x1001, eth_dst="fa:16:3e:00:00:01"), (Output(5),))
B = Flow(60, 3, match(vlan_vid=0x1001, eth_dst="fa:16:3e:00:00:02"), (Output(6),))
MISS = Flow(60, t.PRIORITY_MISS)


def test_same_state_sends_nothing():
    state = flows(A, B, MISS)
    assert not diff(state, dict(state))
    assert len(diff(state, dict(state))) == 0


def test_add_modify_delete():
    changed_b = Flow(B.table, B.priority, B.match, (Output(7),))
    changes = diff(flows(A, B), flows(changed_b, MISS))
    assert changes.add == [MISS]
    assert changes.modify == [changed_b]
    assert changes.delete == [A]
    assert len(changes) == 3


def test_cookie_difference_is_a_modify():
    other_cookie = Flow(A.table, A.priority, A.match, A.actions, cookie=0x1)
    assert diff(flows(other_cookie), flows(A)).modify == [A]


def test_stream_is_the_diff_as_the_flows_come(views):
    """diff.stream gives diff's flow-mods (adds first, in the order made, then modifies,
    then deletes), from an iterator; a second, different flow for an entry is a bug."""
    import dataclasses
    import pytest
    from flows import desired
    from flows.diff import DuplicateFlow, stream
    from flows.flow import Output
    for view in views.values():
        for bridge in desired.bridges_of(view.node):
            flows = list(desired.iter_bridge_flows(view, bridge))
            wanted = desired.index(flows)
            installed = dict(list(wanted.items())[::3])              # some installed as is
            for key in list(installed)[::2]:                         # some changed
                installed[key] = dataclasses.replace(installed[key], actions=(Output(99),))
            gone = dataclasses.replace(flows[0], priority=flows[0].priority + 7)
            installed[gone.key] = gone                               # one to delete
            got = list(stream(installed, iter(flows + flows[:2])))  # (equal repeats: once)
            d = diff(installed, wanted)
            assert [f for v, f in got if v == "add"] == [f for f in wanted.values()
                                                         if f.key not in installed]
            assert sorted(map(repr, [f for v, f in got if v == "add"])) == \
                sorted(map(repr, d.add))
            assert [f for v, f in got if v == "modify"] and \
                sorted(map(repr, [f for v, f in got if v == "modify"])) == \
                sorted(map(repr, d.modify))
            assert [f for v, f in got if v == "delete"] == d.delete == [gone]
            assert [v for v, _ in got] == sorted((v for v, _ in got),
                                                 key=["add", "modify", "delete"].index)
            other = dataclasses.replace(flows[0], actions=(Output(98),))
            with pytest.raises(DuplicateFlow):
                list(stream({}, iter([flows[0], other])))
