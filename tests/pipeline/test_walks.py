"""Seed 002's walks and the isolation rules, pushed through the computed tables of every node."""
import itertools

import pytest

from cloud.naming import BR_INT, BR_TUN
from flows import cloudsim
from flows import tables as t
from flows.flow import BROADCAST_MAC, ETH_TYPE_ARP, ETH_TYPE_IP, Flow, match
from flows.simulator import Packet, SimulationError, Simulator


def send(sim, ports, src, dst_mac, **fields):
    """An ICMP echo request from `src` to whoever has `dst_mac` (the addresses theirs)."""
    port = ports[src]
    dst = next((p for p in ports.values() if p.mac == dst_mac), None)
    v4 = lambda p: next(str(ip) for ip in p.ips if ip.version == 4)  # noqa: E731
    fields = dict(eth_type=ETH_TYPE_IP, ip_proto=1, icmpv4_type=8, ipv4_src=v4(port),
                  ipv4_dst=v4(dst) if dst else "10.0.0.255") | fields
    packet = Packet.make(eth_src=port.mac, eth_dst=dst_mac, **fields)
    return sim.send_from(port.node, port.device, packet)


def tap(ports, name):
    return ports[name].device


def test_walk1_same_host_stays_on_br_int(sim, ports):
    result = send(sim, ports, "vm-a1", ports["vm-a2"].mac)
    assert result.delivered_to() == [tap(ports, "vm-a2")]
    assert {h.bridge for h in result.hits} == {BR_INT}
    assert result.transmissions == []
    (delivery,) = result.deliveries
    assert delivery.packet.fields["vlan_tci"] == 0, "delivered untagged"


@pytest.mark.parametrize("src,dst,kind,seg", [("vm-a1", "vm-a3", "vxlan", 5000),
                                              ("vm-b1", "vm-b3", "gre", 5001)])
def test_walk2_cross_host_is_tunnelled(sim, ports, src, dst, kind, seg):
    result = send(sim, ports, src, ports[dst].mac)
    assert result.delivered_to() == [tap(ports, dst)]
    assert result.transmissions, "crossed hosts through a tunnel"
    assert {(x.tunnel.split("-")[0], x.tunnel_id) for x in result.transmissions} == {(kind, seg)}
    (delivery,) = result.deliveries
    assert delivery.packet.fields["vlan_tci"] == 0
    assert result.tables("compute2", BR_TUN) == [t.TUN_LOCAL_SWITCHING, t.TUN_TO_LV[kind],
                                                  t.LEARN_FROM_TUN]


def test_learning_turns_floods_into_unicast(learning_cloud, ports):
    sim = cloudsim.build(learning_cloud)
    first = send(sim, ports, "vm-a1", ports["vm-a3"].mac)
    assert {x.remote_node for x in first.transmissions} == {"network", "compute2"}, "flooded"
    reply = send(sim, ports, "vm-a3", ports["vm-a1"].mac)
    assert [x.remote_node for x in reply.transmissions] == ["compute1"], "learned on compute2"
    again = send(sim, ports, "vm-a1", ports["vm-a3"].mac)
    assert [x.remote_node for x in again.transmissions] == ["compute2"], "learned on compute1"
    learned = [f for f in sim.bridge("compute1", BR_TUN).tables[t.UCAST_TO_TUN].values()
               if f.cookie == t.COOKIE_LEARNED]
    assert len(learned) == 1 and learned[0].get("eth_dst") == ports["vm-a3"].mac
    assert learned[0].get("vlan_vid") == (1, 0xFFF), "12 VID bits, as OVS writes it"


def test_broadcast_reaches_only_its_network(sim, ports):
    result = send(sim, ports, "vm-a1", BROADCAST_MAC)
    assert result.delivered_to() == sorted([tap(ports, "vm-a2"), tap(ports, "vm-a3"),
                                            tap(ports, "dhcp-a"), tap(ports, "qr-tenant-a")])
    assert {x.tunnel_id for x in result.transmissions} == {5000}


@pytest.mark.parametrize("dst", ["vm-b1", "vm-b3"])
def test_other_network_is_unreachable_even_by_mac(sim, ports, dst):
    result = send(sim, ports, "vm-a1", ports[dst].mac)
    assert result.deliveries == []


def test_tagged_frame_from_vm_is_dropped(sim, ports):
    # VLAN 2 is TenantB-Net's local VLAN on compute1: a VM must not hop into it
    result = send(sim, ports, "vm-a1", ports["vm-b2"].mac, vlan_tci=0x1002)
    assert result.deliveries == [] and result.transmissions == []
    (hit,) = result.hits
    assert (hit.flow.table, hit.flow.priority) == (t.INT_LOCAL_SWITCHING, t.PRIORITY_MISS)


@pytest.mark.parametrize("tunnel_id,delivered", [(5000, True), (9999, False), (5001, False)])
def test_tun_id_from_a_node_must_be_known_for_the_tunnel_type(sim, ports, tunnel_id, delivered):
    """A VXLAN frame carrying an unknown VNI (or a GRE network's key) is dropped in table 4."""
    a3 = ports["vm-a3"]   # as if sent by vm-a3 (a member of vm-a1's default group)
    frame = Packet.make(eth_src=a3.mac, eth_dst=ports["vm-a1"].mac, eth_type=ETH_TYPE_IP,
                        ip_proto=1, icmpv4_type=8, ipv4_src="10.0.0.6", ipv4_dst="10.0.0.4",
                        tunnel_id=tunnel_id)
    result = sim.inject("compute1", BR_TUN, "vxlan-c0a8640c", frame)
    assert bool(result.deliveries) is delivered
    if not delivered:
        assert result.hits[-1].flow.table == t.VXLAN_TUN_TO_LV
        assert result.hits[-1].flow.is_drop


def test_unknown_in_port_on_br_tun_is_dropped(seed_cloud):
    sim = cloudsim.build(seed_cloud)
    from flows.simulator import Endpoint
    sim.bridge("compute1", BR_TUN).ports[99] = Endpoint("vm", "rogue0")
    result = sim.inject("compute1", BR_TUN, "rogue0",
                        Packet.make(eth_src="fa:16:3e:00:00:99", eth_dst=BROADCAST_MAC))
    assert [(h.flow.table, h.flow.priority) for h in result.hits] == [(0, t.PRIORITY_MISS)]


def test_unknown_vlan_from_patch_tun_is_dropped(sim, ports):
    frame = Packet.make(eth_src="fa:16:3e:00:00:99", eth_dst=BROADCAST_MAC, vlan_tci=0x1000 | 77)
    result = sim.inject("compute1", BR_INT, "patch-tun", frame)
    assert result.deliveries == [] and result.transmissions == []


def test_no_two_flows_ever_tie(seed_cloud, ports):
    """Every VM sending to every MAC and broadcast: no table has an equal-priority overlap."""
    sim = cloudsim.build(seed_cloud)
    macs = [p.mac for p in ports.values()] + [BROADCAST_MAC, "fa:16:3e:00:00:99"]
    for src, dst in itertools.product(ports, macs):
        send(sim, ports, src, dst)  # raises SimulationError on a tie


def test_simulator_reports_ties():
    """The simulator itself can fail: an ambiguous table is an error (its other errors:
    tests/pipeline/test_simulator.py)."""
    sim = Simulator()
    from flows.flow import Output
    from flows.simulator import Endpoint
    br = sim.add_bridge("n", "br-int", [Flow(0, 5, match(in_port=1), (Output(2),)),
                                         Flow(0, 5, match(eth_dst="fa:16:3e:00:00:01"))])
    br.ports[1] = Endpoint("vm", "tapA")
    br.ports[2] = Endpoint("vm", "tapB")
    with pytest.raises(SimulationError, match="2 flows of priority 5"):
        sim.inject("n", "br-int", "tapA", Packet.make(eth_dst="fa:16:3e:00:00:01"))


# ------------------------------------------------------------------------- L2 population
def arp_request(port, target_ip):
    return dict(eth_src=port.mac, eth_dst=BROADCAST_MAC, eth_type=ETH_TYPE_ARP, arp_op=1,
                arp_sha=port.mac, arp_spa=str(port.ips[0]), arp_tha="00:00:00:00:00:00",
                arp_tpa=target_ip)


def test_l2pop_arp_for_a_remote_vm_is_answered_on_the_requesters_node(sim, ports):
    a1, a3 = ports["vm-a1"], ports["vm-a3"]
    result = sim.send_from(a1.node, a1.device, Packet.make(**arp_request(a1, "10.0.0.6")))
    assert result.transmissions == [], "no ARP crosses the data network"
    replies = [d for d in result.deliveries if d.port == a1.device]
    assert len(replies) == 1
    f = replies[0].packet.fields
    assert (f["arp_op"], f["arp_sha"], f["arp_spa"], f["arp_tha"], f["arp_tpa"]) == \
        (2, a3.mac, "10.0.0.6", a1.mac, "10.0.0.4")
    assert (f["eth_src"], f["eth_dst"], f["vlan_tci"]) == (a3.mac, a1.mac, 0)
    assert t.ARP_RESPONDER in result.tables("compute1", BR_TUN)


def test_l2pop_arp_reply_is_never_answered(sim, ports):
    """A (gratuitous) reply is flooded, not turned into another reply (LP#1824504)."""
    a1 = ports["vm-a1"]
    fields = arp_request(a1, "10.0.0.6") | {"arp_op": 2}
    result = sim.send_from(a1.node, a1.device, Packet.make(**fields))
    assert a1.device not in result.delivered_to()
    assert sorted(x.remote_node for x in result.transmissions) == ["compute2", "network"]


def test_l2pop_first_unicast_goes_straight_to_its_node(sim, ports):
    result = send(sim, ports, "vm-a1", ports["vm-a3"].mac)
    assert [x.remote_node for x in result.transmissions] == ["compute2"]
    assert result.delivered_to() == [tap(ports, "vm-a3")]


@pytest.mark.parametrize("src,reached", [("vm-a1", {"compute2", "compute3"}),
                                         ("vm-b1", {"compute4"}), ("vm-c1", set())])
def test_l2pop_broadcast_reaches_only_nodes_hosting_the_network(uneven_cloud, src, reached):
    sim = cloudsim.build(uneven_cloud)
    port = next(p for p in uneven_cloud.ports if p.name == src)
    result = sim.send_from(port.node, port.device,
                           Packet.make(eth_src=port.mac, eth_dst=BROADCAST_MAC,
                                       eth_type=ETH_TYPE_IP, ipv4_src=str(port.ips[0]),
                                       ipv4_dst="255.255.255.255"))
    assert {x.remote_node for x in result.transmissions} == reached
    assert len(result.transmissions) == len(reached), "one copy per hosting node"
    same_net = {p.device for p in uneven_cloud.ports
                if p.network_id == port.network_id and p.id != port.id}
    assert set(result.delivered_to()) == same_net


def test_gratuitous_arp_is_not_answered_but_reaches_the_network(sim, ports):
    """A router announcing 10.0.0.1 (who-has 10.0.0.1 tell 10.0.0.1, after an interface
    moved): the local responder must not answer it back, or no VM ever updates its entry."""
    qr = ports["qr-tenant-a"]
    result = sim.send_from(qr.node, qr.device, Packet.make(**arp_request(qr, "10.0.0.1")))
    assert qr.device not in result.delivered_to()
    assert {ports[n].device for n in ("vm-a1", "vm-a2", "vm-a3")} <= set(result.delivered_to())


# ------------------------------------------------------------------- br-int anti-spoofing
def test_arp_for_a_local_vm_is_answered_once_in_br_int(sim, ports):
    """The owner never sees the request (it cannot answer a second time); nothing leaves."""
    a1, a2 = ports["vm-a1"], ports["vm-a2"]
    result = sim.send_from(a1.node, a1.device, Packet.make(**arp_request(a1, "10.0.0.5")))
    assert result.delivered_to() == [a1.device]
    f = result.deliveries[0].packet.fields
    assert (f["arp_op"], f["arp_sha"], f["arp_spa"], f["eth_src"], f["vlan_tci"]) == \
        (2, a2.mac, "10.0.0.5", a2.mac, 0)
    assert result.transmissions == [] and BR_TUN not in {h.bridge for h in result.hits}
    assert result.hits[-1].flow.table == t.LOCAL_RESPONDER


@pytest.mark.parametrize("spoof", ["other vm's IP", "other vm's MAC as sender"])
def test_spoofed_arp_from_a_vm_is_dropped(sim, ports, spoof):
    a1, a2 = ports["vm-a1"], ports["vm-a2"]
    fields = arp_request(a2, "10.0.0.4") | {"arp_op": 2, "eth_dst": a1.mac,
                                              "arp_tha": a1.mac}
    if spoof == "other vm's IP":
        fields["arp_spa"] = "10.0.0.6"   # vm-a2 claims vm-a3's address
    else:
        fields["arp_sha"] = ports["vm-a3"].mac
    result = sim.send_from(a2.node, a2.device, Packet.make(**fields))
    assert result.deliveries == [] and result.transmissions == []
    assert (result.hits[-1].flow.table, result.hits[-1].flow.priority) == \
        (t.ARP_SPOOF, t.PRIORITY_ARP_SPOOFED)


def test_honest_arp_reply_is_delivered(sim, ports):
    a1, a2 = ports["vm-a1"], ports["vm-a2"]
    fields = arp_request(a2, "10.0.0.4") | {"arp_op": 2, "eth_dst": a1.mac, "arp_tha": a1.mac}
    result = sim.send_from(a2.node, a2.device, Packet.make(**fields))
    assert result.delivered_to() == [a1.device]


def test_forged_source_mac_is_dropped(sim, ports):
    a1 = ports["vm-a1"]
    result = sim.send_from(a1.node, a1.device,
                           Packet.make(eth_src="fa:16:3e:66:66:66", eth_dst=ports["vm-a2"].mac,
                                       eth_type=ETH_TYPE_IP))
    assert result.deliveries == []
    assert result.hits[-1].flow.table == t.MAC_SPOOF
