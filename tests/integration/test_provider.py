"""Seed 003 on real switches: the seed's VLAN and flat networks on physnet1 (br-eth1 of every
node, a root-namespace switch joining their NICs), beside its tunnelled networks. Each walk
comes with evidence (mininet_topos/walks_phys.py); the dumps read like seed 003's; live
changes through the API reprogram exactly."""
import pytest

from cloud.naming import BR_INT
from mininet_topos import converge, walks, walks_phys
from mininet_topos.traffic import ping


@pytest.mark.parametrize("src, dst", [("vm-d1", "vm-d2"), ("vm-f1", "vm-f2")])
def test_same_host_or_not_a_provider_network_starts_on_br_int(seed, src, dst):
    """vm-d1 and vm-d2 share compute1: br-int switches them and nothing reaches eth3;
    vm-f1 and vm-f2 do not: their frames do cross physnet1 (the control)."""
    same_host = walks.port(seed, src).node == walks.port(seed, dst).node
    check = walks.walk1(seed, src, dst) if same_host else walks_phys.across_physnet(
        seed, src, dst)
    assert check.passed, str(check)


@pytest.mark.parametrize("src, dst", [("vm-d1", "vm-d3"), ("vm-d3", "vm-d1"),
                                      ("vm-f2", "vm-f1")])
def test_cross_host_frames_cross_physnet1_with_the_provider_tag_and_not_the_underlay(
        seed, src, dst):
    check = walks_phys.across_physnet(seed, src, dst)
    assert check.passed, str(check)


def test_two_vlan_networks_with_one_address_range_are_isolated(seed):
    """vm-e1 (VLAN 102) has vm-d1's 10.0.4.4: vm-d3 reaches vm-d1 only, and nothing when it
    addresses vm-e1's MAC."""
    check = walks.isolation(seed, "vm-d3", "vm-e1", "vm-d1")
    assert check.passed, str(check)


def test_a_tagged_frame_from_a_vm_is_dropped(seed):
    check = walks_phys.tagged_from_vm(seed, "vm-d1", "vm-e1")
    assert check.passed, str(check)


def test_dhcp_on_a_vlan_network_tells_mtu_1500(seed):
    check = walks.walk4(seed, "vm-d3")
    assert check.passed, str(check)
    assert "MTU 1500" in check.detail


def test_a_vlan_vm_reaches_a_vxlan_vm_through_a_router_and_the_outside_through_snat(seed):
    for check in (walks.routed(seed, "vm-d1", "vm-c1", True),
                  walks.routed(seed, "vm-c1", "vm-d3", True),
                  walks.walk3_snat(seed, "vm-d3")):
        assert check.passed, str(check)


def test_dumps_read_like_seed_003(seed):
    """br-eth1: local VLAN -> 101 (set_field:4197), flat stripped, the rest from br-int
    dropped, NORMAL last; br-int table 0: 101 -> local VLAN from int-br-eth1, untagged ->
    pushed (flat), the rest from int-br-eth1 dropped (Neutron's priorities 4, 3, 2)."""
    ovs = seed.ovs["compute1"]
    phy, patch = ovs.ofports("br-eth1")["phy-br-eth1"], ovs.ofports(BR_INT)["int-br-eth1"]
    eth1 = ovs.dump_flows("br-eth1")
    assert f"priority=4,in_port={phy},dl_vlan=" in eth1, eth1
    assert "actions=set_field:4197->vlan_vid,NORMAL" in eth1, eth1   # 4096 + 101
    assert "actions=pop_vlan,NORMAL" in eth1, eth1                    # the flat network
    assert f"priority=2,in_port={phy} actions=drop" in eth1, eth1
    assert "priority=0 actions=NORMAL" in eth1, eth1
    integ = ovs.dump_flows(BR_INT, "table=0")
    assert f"priority=3,in_port={patch},dl_vlan=101 actions=set_field:" in integ, integ
    assert f"priority=3,in_port={patch},vlan_tci=0x0000/0x1fff actions=push_vlan:0x8100," \
        in integ, integ
    assert f"priority=2,in_port={patch} actions=drop" in integ, integ


def test_vlan_networks_created_moved_and_deleted_through_the_api(seed):
    """A VLAN network and a port through the API, the port's VM pinged across physnet1, the
    port moved to the other compute, then all of it deleted: every bridge exact each time,
    and br-eth1 back to what it was."""
    api = seed.api
    before = seed.ovs["compute2"].dump_flows("br-eth1")
    net = api.create("networks", name="vlan-live", **{"provider:network_type": "vlan",
                                                      "provider:physical_network": "physnet1"})
    assert net["provider:segmentation_id"] == 100
    api.create("subnets", network_id=net["id"], cidr="10.0.8.0/24", enable_dhcp=False)
    one = api.create("ports", network_id=net["id"], name="vlan-a", fixed_ips=[
        {"ip_address": "10.0.8.10"}], **{"binding:host_id": "compute1"})
    two = api.create("ports", network_id=net["id"], name="vlan-b", fixed_ips=[
        {"ip_address": "10.0.8.11"}], **{"binding:host_id": "compute2"})
    seed.plug(one["id"])
    seed.plug(two["id"])
    seed.wait_converged(30)
    assert "set_field:4196->vlan_vid" in seed.ovs["compute2"].dump_flows("br-eth1")
    assert ping(seed.ec.host("vlan-a").pid, "10.0.8.11", count=3, interval=0.05).ok
    seed.unplug("vlan-b")
    api.update("ports", two["id"], **{"binding:host_id": "compute1"})
    seed.plug(two["id"])
    seed.wait_converged(30)
    assert "4196" not in seed.ovs["compute2"].dump_flows("br-eth1")
    assert ping(seed.ec.host("vlan-a").pid, "10.0.8.11", count=3, interval=0.05).ok
    for name, port in (("vlan-a", one), ("vlan-b", two)):
        seed.unplug(name)
        api.delete("ports", port["id"])
    api.delete("networks", net["id"])
    cloud = seed.refresh()
    seed.wait_converged(30)
    assert all(r.ok for r in converge.check(cloud, seed.ovs))
    assert seed.ovs["compute2"].dump_flows("br-eth1") == before
