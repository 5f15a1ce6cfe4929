"""Tier 3 on the seed cloud: real Mininet + OVS + osken-manager apps/overlay.py."""
import pytest

from cloud.naming import BR_INT, BR_TUN
from flows import localvlan
from flows import tables as t
from mininet_topos import converge, frames, walks
from mininet_topos.traffic import Capture, flow_counters, send_frames


def test_every_bridge_holds_exactly_its_computed_flows(seed):
    reports = converge.check(seed.cloud, seed.ovs)
    assert reports and all(r.ok for r in reports), [r for r in reports if not r.ok]


@pytest.mark.parametrize("src,dst", [("vm-a1", "vm-a2"), ("vm-b1", "vm-b2")])
def test_walk1_same_host(seed, src, dst):
    check = walks.walk1(seed, src, dst)
    assert check.passed, check


@pytest.mark.parametrize("src,dst", [("vm-a1", "vm-a3"), ("vm-b1", "vm-b3"),
                                     ("vm-a3", "vm-a2"), ("vm-b3", "vm-b2")])
def test_walk2_cross_host(seed, src, dst):
    check = walks.walk2(seed, src, dst)
    assert check.passed, check


@pytest.mark.parametrize("src,other,own", [("vm-a1", "vm-b3", "vm-a3"),
                                           ("vm-b1", "vm-a3", "vm-b3"),
                                           ("vm-a3", "vm-b1", "vm-a1")])
def test_isolation_with_identical_ips(seed, src, other, own):
    check = walks.isolation(seed, src, other, own)
    assert check.passed, check


def test_vm_interfaces_follow_the_network_mtu(seed):
    for name, mtu in (("vm-a1", 1450), ("vm-b1", 1458)):
        out = seed.ec.vm_run(name, "cat", "/sys/class/net/eth0/mtu").stdout
        assert int(out) == mtu


def test_switches_look_like_neutron(seed):
    """ovs-vsctl on compute1: taps with Nova's external_ids, tunnels to the other nodes,
    both managed bridges connected to the controller, secure fail mode."""
    ovs = seed.ovs["compute1"]
    a1 = walks.port(seed, "vm-a1")
    tap = a1.device
    ids = ovs.vsctl("get", "interface", tap, "external_ids")
    assert f'iface-id="{a1.id}"' in ids and f'attached-mac="{a1.mac}"' in ids
    assert "vm-uuid=" in ids
    # L2 population: tunnels to the nodes sharing networks with compute1: compute2 (VMs) and
    # the network node (the DHCP ports)
    assert {p for p in ovs.vsctl("list-ports", BR_TUN).split()} == {
        "patch-int", "vxlan-c0a8640c", "gre-c0a8640c", "vxlan-c0a8640a", "gre-c0a8640a"}
    for br in (BR_INT, BR_TUN):
        assert ovs.vsctl("get", "bridge", br, "fail_mode").strip() == "secure"
        assert ovs.vsctl("--columns=is_connected", "list", "controller", br).split()[-1] == \
            "true"
    assert ovs.vsctl("get", "interface", "gre-c0a8640c", "options:remote_ip").strip() == \
        '"192.168.100.12"'


def _lvid(seed, node, net_name):
    vlans = localvlan.allocate({}, [n.id for n in seed.cloud.networks_on(node)])
    return vlans[next(n.id for n in seed.cloud.networks if n.name == net_name)]


def _poll_counter(ovs, bridge, key_filter, at_least):
    return walks.poll_until(lambda: sum(n for k, n in flow_counters(ovs, bridge).items()
                                        if key_filter(k)),
                            lambda n: n >= at_least, walks.COUNTER_DEADLINE)


def test_tagged_frame_from_a_vm_is_dropped(seed):
    """A VM sending a frame tagged with another network's local VLAN reaches nobody; the same
    frame untagged to a VM of its own network arrives (so the test can tell the difference)."""
    a1, a2, b2 = (walks.port(seed, n) for n in ("vm-a1", "vm-a2", "vm-b2"))
    vlan_b = _lvid(seed, "compute1", "TenantB-Net")
    ovs = seed.ovs["compute1"]
    miss = (t.INT_LOCAL_SWITCHING, t.PRIORITY_MISS, ())
    dropped_before = flow_counters(ovs, BR_INT).get(miss, 0)
    icmp = frames.ipv4_icmp_echo("10.0.0.4", "10.0.0.5")
    tagged = frames.ethernet(b2.mac, a1.mac, 0x0800, icmp, vlan=vlan_b)
    untagged = frames.ethernet(a2.mac, a1.mac, 0x0800, icmp)
    pid = seed.ec.host("vm-a1").pid
    with Capture(seed.ec.host("vm-b2").pid, "eth0", "icmp") as into_b2, \
            Capture(seed.ec.host("vm-a2").pid, "eth0", "icmp") as into_a2:
        send_frames(pid, "raw", "eth0", tagged.hex(), "3")
        send_frames(pid, "raw", "eth0", untagged.hex(), "1")
        dropped = _poll_counter(ovs, BR_INT, lambda k: k == miss, dropped_before + 3)
        walks.poll_until(lambda: len(open(into_a2.out_path).read().splitlines()),
                         lambda n: n >= 1, walks.COUNTER_DEADLINE)  # arrived: stop capturing
    assert into_b2.count("") == 0
    assert into_a2.count("10.0.0.4 > 10.0.0.5") == 1
    assert dropped - dropped_before >= 3, "dropped by br-int's LOCAL_SWITCHING miss flow"


@pytest.mark.parametrize("vni,arrives", [(9999, False), (5001, False), (5000, True)])
def test_forged_tun_id_from_a_node_is_dropped(seed, vni, arrives):
    """compute2 sends compute1 a VXLAN packet by hand: an unknown VNI (or the GRE network's
    key as a VNI) is dropped in br-tun's VXLAN_TUN_TO_LV; the real VNI is delivered."""
    a1 = walks.port(seed, "vm-a1")
    inner = frames.ethernet(a1.mac, "fa:16:3e:99:99:99", 0x0800,
                            frames.ipv4_icmp_echo("10.0.0.99", "10.0.0.4"))
    payload = frames.vxlan(vni, inner)
    ovs = seed.ovs["compute1"]
    miss = (t.VXLAN_TUN_TO_LV, t.PRIORITY_MISS, ())
    before = flow_counters(ovs, BR_TUN).get(miss, 0)
    with Capture(seed.ec.host("vm-a1").pid, "eth0", "icmp and host 10.0.0.99") as cap:
        send_frames(seed.ec.host("compute2").pid, "udp", "192.168.100.11", "4789",
                    payload.hex(), "3")
        if arrives:
            walks.poll_until(lambda: len(open(cap.out_path).read().splitlines()),
                             lambda n: n >= 3, walks.COUNTER_DEADLINE)
        else:
            dropped = _poll_counter(ovs, BR_TUN, lambda k: k == miss, before + 3)
    if arrives:
        assert cap.count("10.0.0.99 > 10.0.0.4") == 3
    else:
        assert cap.count("") == 0
        assert dropped - before >= 3


def test_segments_keep_a_fixed_mac_as_nodes_join(seed):
    """A Linux bridge would take its lowest port MAC, changing as nodes join, and nodes that
    resolved the controller earlier would lose it (seen as a 60 s convergence stall)."""
    from mininet_topos.cloud import MGMT_BRIDGE, segment_mac
    from mininet_topos.ovs import run
    link = run(["ip", "-br", "link", "show", MGMT_BRIDGE]).stdout.split()
    assert link[2] == segment_mac(seed.cloud.fabric.controller_ip, 0)


@pytest.mark.parametrize("vm", ["vm-a1", "vm-b3"])
def test_walk4_dhcp(seed, vm):
    check = walks.walk4(seed, vm)
    assert check.passed, str(check)
