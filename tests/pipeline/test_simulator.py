"""The simulator's own rules, each on a two-flow toy bridge: what a packet starts with, how a
VLAN id is set (the PCP bits kept), which errors it raises and what they say."""
import pytest

from flows.flow import Flow, Output, SetField, match
from flows.simulator import MAX_HOPS, Endpoint, Packet, SimulationError, Simulator


def test_a_packet_starts_untagged_outside_any_tunnel():
    """...with the registers zero and untracked."""
    assert Packet.make().fields == {"vlan_tci": 0, "tunnel_id": 0, "reg5": 0, "reg6": 0,
                                    "reg7": 0, "ct_state": 0, "ct_zone": 0, "ct_mark": 0,
                                    "conj_id": 0}
    assert Packet.make(tunnel_id=5).get("tunnel_id") == 5
    tagged = Packet.make(vlan_tci=0x1000 | 7 | 0x6000)
    assert tagged.get("vlan_vid") == 0x1000 | 7          # PCP bits are not the VID


def toy(flows) -> Simulator:
    """One bridge, two VM ports (1: tapA, 2: tapB)."""
    sim = Simulator()
    br = sim.add_bridge("n", "br-int", flows)
    br.ports[1] = Endpoint("vm", "tapA")
    br.ports[2] = Endpoint("vm", "tapB")
    return sim


def test_setting_a_vlan_id_keeps_the_priority_bits():
    sim = toy([Flow(0, 1, match(in_port=1), (SetField("vlan_vid", 0x1000 | 9), Output(2)))])
    result = sim.inject("n", "br-int", "tapA", Packet.make(vlan_tci=0x1000 | 3 | 0xA000))
    (delivery,) = result.deliveries
    assert delivery.packet.fields["vlan_tci"] == 0xA000 | 0x1000 | 9


def test_a_goto_backwards_or_to_itself_is_an_error():
    for goto in (0, 1):
        sim = toy([Flow(0, 1, (), (), goto=1), Flow(1, 1, (), (), goto=goto)])
        with pytest.raises(SimulationError, match=f"^goto_table:{goto} from table 1$"):
            sim.inject("n", "br-int", "tapA", Packet.make())


def test_an_action_it_cannot_simulate_is_an_error():
    sim = toy([Flow(0, 1, (), ("drop-by-magic",))])
    with pytest.raises(SimulationError, match="^cannot simulate 'drop-by-magic'$"):
        sim.inject("n", "br-int", "tapA", Packet.make())


def test_a_loop_is_stopped_after_max_hops_crossings():
    """Two patch pairs between two bridges, each forwarding into the other pair."""
    sim = Simulator()
    a = sim.add_bridge("n", "br-a", [Flow(0, 1, (), (Output(1),))])
    b = sim.add_bridge("n", "br-b", [Flow(0, 1, (), (Output(2),))])
    a.ports[1] = Endpoint("patch", "pa", peer_bridge="br-b", peer_port="pb")
    a.ports[2] = Endpoint("vm", "in")
    a.ports[3] = Endpoint("patch", "pa2", peer_bridge="br-b", peer_port="pb2")
    b.ports[1] = Endpoint("patch", "pb", peer_bridge="br-a", peer_port="pa")
    b.ports[2] = Endpoint("patch", "pb2", peer_bridge="br-a", peer_port="pa2")
    with pytest.raises(SimulationError,
                       match=f"^forwarding loop: more than {MAX_HOPS} bridge crossings$"):
        sim.inject("n", "br-a", "in", Packet.make())


def test_an_unknown_port_names_the_bridge():
    sim = toy([])
    with pytest.raises(KeyError, match="n/br-int has no port tapZ"):
        sim.inject("n", "br-int", "tapZ", Packet.make())


# ------------------------------------------------------------------- conntrack, conjunctions
def stateful():
    """A two-port stateful firewall in the firewall's shape: zone 1 in reg6, tapA may open
    connections to tapB, tapB only answers."""
    from flows.flow import CT_EST, CT_NEW, CT_RPL, CT_TRK, Ct
    est, new, rpl = (CT_EST | CT_TRK, CT_EST | CT_NEW | CT_RPL | CT_TRK), \
        (CT_NEW | CT_TRK, CT_NEW | CT_EST | CT_TRK), (CT_EST | CT_RPL | CT_TRK, ) * 2
    return toy([
        Flow(0, 1, match(in_port=1), (SetField("reg6", 1),), goto=1),
        Flow(0, 1, match(in_port=2), (SetField("reg6", 1),), goto=1),
        Flow(1, 1, match(eth_type=0x0800), (Ct("reg6", table=2),)),
        Flow(2, 2, match(in_port=1, ct_state=est), (Output(2),)),
        Flow(2, 2, match(in_port=1, ct_state=new, eth_type=0x0800), (Ct("reg6", commit=True),
                                                                     Output(2))),
        Flow(2, 2, match(in_port=2, ct_state=rpl), (Output(1),)),
    ])


def tcp(src, dst, sport, dport, flags=None):
    fields = dict(eth_type=0x0800, ip_proto=6, ipv4_src=src, ipv4_dst=dst, tcp_src=sport,
                  tcp_dst=dport)
    if flags is not None:
        fields["tcp_flags"] = flags
    return Packet.make(**fields)


def test_conntrack_lets_replies_back_and_refuses_new_connections_the_other_way():
    sim = stateful()
    out = lambda port, pkt: sim.inject("n", "br-int", port, pkt).delivered_to()  # noqa: E731
    assert out("tapB", tcp("10.0.0.2", "10.0.0.1", 80, 40000)) == []        # no connection
    assert out("tapA", tcp("10.0.0.1", "10.0.0.2", 40000, 80, 0x02)) == ["tapB"]
    assert out("tapB", tcp("10.0.0.2", "10.0.0.1", 80, 40000)) == ["tapA"]  # the reply
    assert out("tapA", tcp("10.0.0.1", "10.0.0.2", 40000, 80, 0x10)) == ["tapB"]  # +est
    assert out("tapB", tcp("10.0.0.2", "10.0.0.1", 80, 40001)) == []        # another port
    (conn,) = sim.tracker("n").entries(zone=1)
    assert conn.orig == (6, "10.0.0.1", "10.0.0.2", 40000, 80)
    assert sim.tracker("n").entries(zone=2) == []


def test_a_recirculated_packet_carries_the_state_the_original_does_not():
    from flows.flow import CT_NEW, CT_TRK
    sim = stateful()
    result = sim.inject("n", "br-int", "tapA", tcp("10.0.0.1", "10.0.0.2", 1, 2, 0x02))
    assert [h.flow.table for h in result.hits] == [0, 1, 2]
    (delivery,) = result.deliveries
    assert (delivery.packet.fields["ct_state"], delivery.packet.fields["ct_zone"]) == \
        (CT_NEW | CT_TRK, 1)


def test_a_tcp_segment_without_syn_of_no_connection_is_invalid():
    from flows.conntrack import Conntrack
    from flows.flow import CT_INV, CT_NEW, CT_TRK
    ct = Conntrack()
    assert ct.lookup(tcp("10.0.0.1", "10.0.0.2", 1, 2, 0x10).fields, 1) == (CT_TRK | CT_INV, 0)
    assert ct.lookup(tcp("10.0.0.1", "10.0.0.2", 1, 2, 0x02).fields, 1) == (CT_TRK | CT_NEW, 0)
    assert ct.lookup(Packet.make(eth_type=0x0806).fields, 1) == (CT_TRK | CT_INV, 0)


def test_an_echo_reply_belongs_to_its_request_and_the_mark_is_the_connections():
    from flows.conntrack import Conntrack
    from flows.flow import CT_EST, CT_INV, CT_NEW, CT_RPL, CT_TRK
    ct = Conntrack()
    request = dict(eth_type=0x0800, ip_proto=1, ipv4_src="10.0.0.1", ipv4_dst="10.0.0.2",
                   icmpv4_type=8, icmp_id=7)
    reply = dict(request, ipv4_src="10.0.0.2", ipv4_dst="10.0.0.1", icmpv4_type=0)
    assert ct.lookup(reply, 1) == (CT_TRK | CT_INV, 0)
    assert ct.lookup(request, 1) == (CT_TRK | CT_NEW, 0)
    ct.commit(request, 1, None)
    ct.commit(reply, 1, 1)          # a mark set on the reply marks the connection
    assert ct.lookup(request, 1) == (CT_TRK | CT_EST, 1)
    assert ct.lookup(reply, 1) == (CT_TRK | CT_EST | CT_RPL, 1)
    assert ct.lookup(dict(request, icmp_id=8), 1) == (CT_TRK | CT_NEW, 0)
    assert ct.lookup(request, 2) == (CT_TRK | CT_NEW, 0)   # zones are apart
    ct.flush(zone=1)
    assert ct.entries() == []


def test_the_tracker_follows_icmpv6_echoes_and_udp_over_ipv6():
    from flows.conntrack import Conntrack
    from flows.flow import CT_EST, CT_NEW, CT_RPL, CT_TRK
    ct = Conntrack()
    request = dict(eth_type=0x86DD, ip_proto=58, ipv6_src="fd00::4", ipv6_dst="fd00::6",
                   icmpv6_type=128, icmp_id=3)
    reply = dict(request, ipv6_src="fd00::6", ipv6_dst="fd00::4", icmpv6_type=129)
    assert ct.lookup(request, 1) == (CT_TRK | CT_NEW, 0)
    ct.commit(request, 1, None)
    assert ct.lookup(request, 1) == (CT_TRK | CT_EST, 0)
    assert ct.lookup(reply, 1) == (CT_TRK | CT_EST | CT_RPL, 0)
    (conn,) = ct.entries()
    assert conn.orig == (58, "fd00::4", "fd00::6", 128, 3)
    udp = dict(eth_type=0x86DD, ip_proto=17, ipv6_src="fd00::4", ipv6_dst="fd00::6",
               udp_src=546, udp_dst=547)
    back = dict(udp, ipv6_src="fd00::6", ipv6_dst="fd00::4", udp_src=547, udp_dst=546)
    ct.commit(udp, 2, None)
    assert ct.lookup(back, 2) == (CT_TRK | CT_EST | CT_RPL, 0)
    assert ct.lookup(back, 1) == (CT_TRK | CT_NEW, 0)


def test_a_commit_from_the_reply_side_marks_the_connection_it_belongs_to():
    from flows.conntrack import Conntrack
    from flows.flow import CT_EST, CT_TRK
    ct = Conntrack()
    syn = dict(eth_type=0x0800, ip_proto=6, ipv4_src="10.0.0.4", ipv4_dst="10.0.0.6",
               tcp_src=40000, tcp_dst=22)
    ack = dict(syn, ipv4_src="10.0.0.6", ipv4_dst="10.0.0.4", tcp_src=22, tcp_dst=40000)
    ct.commit(syn, 1, None)
    ct.commit(ack, 1, 1)
    (conn,) = ct.entries()
    assert (conn.orig, conn.mark) == ((6, "10.0.0.4", "10.0.0.6", 40000, 22), 1)
    assert ct.lookup(syn, 1) == (CT_TRK | CT_EST, 1)
    other = dict(syn, tcp_src=40001)
    ct.commit(other, 1, None)
    assert len(ct.entries(zone=1)) == 2 and ct.entries(zone=3) == []


def test_ct_clear_forgets_the_state():
    from flows.flow import CtClear
    sim = toy([Flow(0, 1, (), (CtClear(), Output(2)))])
    packet = Packet.make(ct_state=0x22, ct_zone=3, ct_mark=1)
    (delivery,) = sim.inject("n", "br-int", "tapA", packet).deliveries
    assert [delivery.packet.fields[k] for k in ("ct_state", "ct_zone", "ct_mark")] == [0, 0, 0]


def conj_table(extra=()):
    from flows.flow import Conjunction
    return toy([
        Flow(0, 70, match(eth_type=0x0800, ipv4_src="10.0.0.5"), (Conjunction(8, 1, 2),)),
        Flow(0, 70, match(eth_type=0x0800, ipv4_src="10.0.0.6"), (Conjunction(8, 1, 2),
                                                                  Conjunction(9, 1, 2))),
        Flow(0, 70, match(eth_type=0x0800, ip_proto=6, tcp_dst=22), (Conjunction(8, 2, 2),)),
        Flow(0, 70, match(conj_id=8, eth_type=0x0800), (Output(2),)),
        Flow(0, 10, match(eth_type=0x0800), (Output(1),)),
        *extra,
    ])


@pytest.mark.parametrize("src, dport, hit", [
    ("10.0.0.5", 22, 70), ("10.0.0.6", 22, 70),   # both clauses of 8: its conj_id flow
    ("10.0.0.5", 80, 10), ("10.0.0.7", 22, 10),   # one clause only: the ordinary flow below
    ("10.0.0.6", 80, 10),                          # 9 has no second clause matched
])
def test_a_conjunctive_match_needs_every_clause(src, dport, hit):
    sim = conj_table()
    result = sim.inject("n", "br-int", "tapA", tcp(src, "10.0.0.9", 1, dport))
    assert [h.flow.priority for h in result.hits] == [hit]
    assert result.hits[0].flow.get("conj_id") == (8 if hit == 70 else None)


def test_an_ordinary_flow_above_the_conjunction_wins_and_one_beside_it_is_an_error():
    above = conj_table([Flow(0, 80, match(eth_type=0x0800, ip_proto=6), (Output(1),))])
    result = above.inject("n", "br-int", "tapA", tcp("10.0.0.5", "10.0.0.9", 1, 22))
    assert [h.flow.priority for h in result.hits] == [80]
    beside = conj_table([Flow(0, 70, match(eth_type=0x0800, ip_proto=6, tcp_src=1),
                              (Output(1),))])
    with pytest.raises(SimulationError, match="a conjunctive and an ordinary flow"):
        beside.inject("n", "br-int", "tapA", tcp("10.0.0.5", "10.0.0.9", 1, 22))
