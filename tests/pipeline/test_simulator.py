"""The simulator's own rules, each on a two-flow toy bridge: what a packet starts with, how a
VLAN id is set (the PCP bits kept), which errors it raises and what they say."""
import pytest

from flows.flow import Flow, Output, SetField, match
from flows.simulator import MAX_HOPS, Endpoint, Packet, SimulationError, Simulator


def test_a_packet_starts_untagged_outside_any_tunnel():
    assert Packet.make().fields == {"vlan_tci": 0, "tunnel_id": 0}
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
