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
