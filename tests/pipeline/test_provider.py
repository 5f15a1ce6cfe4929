"""Seed 003's walks on VLAN and flat provider networks, pushed through every node's computed
br-int and br-eth1 and the physical network's switch (flows/simulator.py models NORMAL and the
trunk), beside the tunnelled networks."""
import pytest

from cloud.naming import BR_INT
from flows import cloudsim
from flows import tables as t
from flows.flow import BROADCAST_MAC, ETH_TYPE_IP
from flows.simulator import Packet
from tests.pipeline.test_walks import send as ping   # (ipv4_dst=... overrides)

VLAN_D, VLAN_E = 0x1000 | 101, 0x1000 | 102


def taps(ports, *names):
    return sorted(ports[n].device for n in names)


def test_same_host_on_a_vlan_network_stays_on_br_int(sim, ports):
    result = ping(sim, ports, "vm-d1", ports["vm-d2"].mac)
    assert result.delivered_to() == taps(ports, "vm-d2")
    assert {h.bridge for h in result.hits} == {BR_INT}
    assert result.wire == [] and result.transmissions == []


def test_cross_host_vlan_frames_cross_the_physical_network_tagged(sim, ports):
    result = ping(sim, ports, "vm-d1", ports["vm-d3"].mac)
    assert result.delivered_to() == taps(ports, "vm-d3")
    assert result.transmissions == [], "nothing of it crosses the tunnel underlay"
    assert {(w.node, w.physnet, w.vlan_tci) for w in result.wire} == {
        ("compute1", "physnet1", VLAN_D)}, "tagged with the provider VLAN, not a local one"
    (delivery,) = result.deliveries
    assert delivery.packet.fields["vlan_tci"] == 0, "delivered untagged"
    # compute1: LV -> 101 in br-eth1; compute2: 101 -> its own LV in br-int table 0
    c2 = [h.flow for h in result.hits if h.node == "compute2" and h.bridge == BR_INT]
    assert (c2[0].table, c2[0].priority) == (t.INT_LOCAL_SWITCHING, t.PRIORITY_PHYS_INGRESS)


def test_a_flat_network_is_untagged_on_the_wire(sim, ports):
    result = ping(sim, ports, "vm-f1", ports["vm-f2"].mac)
    assert result.delivered_to() == taps(ports, "vm-f2")
    assert {w.vlan_tci for w in result.wire} == {0}
    assert result.transmissions == []


def test_a_broadcast_reaches_only_its_vlan_network(sim, ports):
    result = ping(sim, ports, "vm-d1", BROADCAST_MAC)
    assert result.delivered_to() == taps(ports, "vm-d2", "vm-d3", "dhcp-d", "qr-tenant-d")
    assert {w.vlan_tci for w in result.wire} == {VLAN_D}
    assert result.transmissions == []


def test_two_vlan_networks_with_one_address_range_are_isolated(sim, ports):
    """vm-e1 (VLAN 102) has vm-d1's address: vm-d3 reaches vm-d1 only; vm-e1 reaches no
    TenantD port, even by MAC."""
    to_d1 = ping(sim, ports, "vm-d3", ports["vm-d1"].mac)
    assert to_d1.delivered_to() == taps(ports, "vm-d1")
    for target in ("vm-d3", "vm-d1", "qr-tenant-d"):
        result = ping(sim, ports, "vm-e1", ports[target].mac, ipv4_dst="10.0.4.6")
        assert result.deliveries == [], target
        assert {w.vlan_tci for w in result.wire} <= {VLAN_E}
    assert ping(sim, ports, "vm-e1", BROADCAST_MAC).deliveries == []


def test_a_tagged_frame_from_a_vm_is_dropped(sim, ports):
    for tag in (VLAN_D, VLAN_E, 0x1000 | 3):   # provider VLANs, a local VLAN of compute1
        result = ping(sim, ports, "vm-d1", ports["vm-d3"].mac, vlan_tci=tag)
        assert result.deliveries == [] and result.wire == [], hex(tag)


@pytest.mark.parametrize("tag, delivered", [(VLAN_D, ["vm-d1"]), (VLAN_E, []),
                                            (0x1000 | 150, []), (0x1000 | 3, []), (0, [])])
def test_frames_from_the_wire_enter_only_with_a_provider_vlan_of_the_node(
        sim, ports, tag, delivered):
    """A ping put on physnet1 by someone else: tagged 101 it is TenantD's (and its group
    admits ICMP from anywhere); 102 (no TenantE port on compute1), an unused id or
    compute1's local VLAN number go nowhere; untagged it is TenantF's, and vm-d1's MAC is
    not there."""
    frame = Packet.make(eth_src="fa:16:3e:99:99:99", eth_dst=ports["vm-d1"].mac,
                        eth_type=ETH_TYPE_IP, ip_proto=1, icmpv4_type=8,
                        ipv4_src="10.0.4.99", ipv4_dst="10.0.4.4", vlan_tci=tag)
    result = sim.inject("compute1", "br-eth1", "eth3", frame)
    assert result.delivered_to() == taps(ports, *delivered)


def test_a_vlan_vm_reaches_its_router_on_the_network_node(sim, ports):
    result = ping(sim, ports, "vm-d3", ports["qr-tenant-d"].mac, ipv4_dst="10.0.2.4")
    assert result.delivered_to() == taps(ports, "qr-tenant-d")
    assert {(w.node, w.vlan_tci) for w in result.wire} == {("compute2", VLAN_D)}


def test_a_tunnelled_network_never_reaches_the_physical_network(sim, ports):
    for src, dst in (("vm-a1", "vm-a3"), ("vm-b1", BROADCAST_MAC)):
        mac = ports[dst].mac if dst in ports else dst
        result = ping(sim, ports, src, mac, ipv4_dst="10.0.0.6")
        assert result.wire == [] and result.transmissions, src


def test_one_vlan_id_on_two_physical_networks_is_two_networks(seed_raw):
    """TenantE-Net moved to physnet2 (br-eth2, NIC eth4, on every node) with TenantD's VLAN id
    101: a broadcast of TenantD crosses physnet1 only and reaches TenantD's ports only."""
    from cloud import schema
    raw = seed_raw
    raw["physical_networks"].append({"name": "physnet2"})
    for node in raw["nodes"]:
        node["bridge_mappings"]["physnet2"] = {"bridge": "br-eth2", "nic": "eth4"}
    e_net = next(n for n in raw["networks"] if n["name"] == "TenantE-Net")
    e_net.update(physical_network="physnet2", segmentation_id=101)
    cloud = schema.parse(raw, "<two physnets>")
    sim, ports = cloudsim.build(cloud), {p.name: p for p in cloud.ports}
    result = ping(sim, ports, "vm-d1", BROADCAST_MAC)
    assert result.delivered_to() == taps(ports, "vm-d2", "vm-d3", "dhcp-d", "qr-tenant-d")
    assert {(w.physnet, w.vlan_tci) for w in result.wire} == {("physnet1", VLAN_D)}
    to_e1 = ping(sim, ports, "vm-d3", ports["vm-e1"].mac, ipv4_dst="10.0.4.4")
    assert to_e1.deliveries == [], "same VLAN id, other physical network"
