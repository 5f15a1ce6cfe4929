"""L2 population on the seed cloud's real switches: ARP answered on the requester's node,
no flooding, tables 20/21/22 populated."""
import pytest

from cloud.naming import BR_TUN
from flows import tables as t
from mininet_topos import walks
from mininet_topos.node import DATA_IF
from mininet_topos.traffic import Capture, flow_counters, ping


def capture(d, host, iface="eth0", bpf=""):
    return Capture(d.ec.host(host).pid, iface, bpf,
                   on_start=lambda pid: d.ec.state.add_pid(pid, "tcpdump"))


def test_arp_for_a_remote_vm_is_answered_locally_and_the_first_ping_is_not_flooded(seed):
    a3 = walks.port(seed, "vm-a3")
    seed.ec.vm_run("vm-a1", "ip", "neigh", "flush", "dev", "eth0")
    with capture(seed, "compute1", DATA_IF) as wire, capture(seed, "vm-a3", bpf="arp") as at_a3:
        result = ping(seed.ec.host("vm-a1").pid, "10.0.0.6", count=1, wait=2)
    neigh = seed.ec.vm_run("vm-a1", "ip", "neigh", "show", "10.0.0.6").stdout
    assert result.ok, "the very first echo request is answered"
    assert a3.mac in neigh
    assert wire.count("ARP") == 0, "\n".join(wire.packets)
    assert at_a3.count("Request who-has 10.0.0.6") == 0, \
        "vm-a3 never saw vm-a1's request: compute1 answered it"
    assert at_a3.count("Reply 10.0.0.4 is-at") == 1, "its own ARP for vm-a1, answered on compute2"
    # (counting the echo's frames: a VM's IPv6 stack may send an MLD report meanwhile)
    echo = ("vni 5000", "ICMP echo")
    assert wire.count(*echo) == 2, "one request out, one reply in, nothing flooded:\n" \
        + "\n".join(wire.packets)
    assert wire.count(*echo, "> 192.168.100.12.4789", "echo request") == 1, "to compute2"
    assert wire.count(*echo, "> 192.168.100.11.4789", "echo reply") == 1, "from compute2"


def test_tables_20_21_22_are_populated(seed):
    counts = {}
    for key in flow_counters(seed.ovs["compute1"], BR_TUN):
        table, priority, m = key
        kind = dict(m).get("eth_type")
        counts[(table, priority, kind)] = counts.get((table, priority, kind), 0) + 1
    present = {n.id for n in seed.cloud.networks_on("compute1") if n.tunnelled}
    remote_ports = [p for p in seed.cloud.ports if p.node != "compute1"
                    and p.network_id in present]  # VMs, DHCP and router ports
    with_ipv6 = [p for p in remote_ports if any(ip.version == 6 for ip in p.ips)]
    assert counts[(t.UCAST_TO_TUN, t.PRIORITY_L2POP_UCAST, None)] == len(remote_ports)
    assert counts[(t.ARP_RESPONDER, t.PRIORITY_ARP_RESPONSE, 0x0806)] == len(remote_ports)
    assert counts[(t.ARP_RESPONDER, t.PRIORITY_ND_RESPONSE, 0x86DD)] == len(with_ipv6)
    assert counts[(t.ND_ADVERT, t.PRIORITY_ND_ADVERT, 0x86DD)] == len(with_ipv6)
    assert counts[(t.FLOOD_TO_TUN, t.PRIORITY_FLOOD_TO_TUN, None)] == 2  # one per local VLAN


def test_spoofed_arp_reply_is_dropped(seed):
    """vm-a2 tells vm-a1 that vm-a3's IP is at vm-a2's MAC: br-int's ARP_SPOOF drops it, and
    vm-a1 keeps the right neighbour; an honest reply from vm-a2 arrives (the control)."""
    from mininet_topos import frames
    from mininet_topos.traffic import send_frames
    a1, a2, a3 = (walks.port(seed, n) for n in ("vm-a1", "vm-a2", "vm-a3"))
    ovs = seed.ovs["compute1"]
    spoof_drop = (t.ARP_SPOOF, t.PRIORITY_ARP_SPOOFED, (("eth_type", 0x0806),))
    before = flow_counters(ovs, "br-int").get(spoof_drop, 0)
    assert ping(seed.ec.host("vm-a1").pid, "10.0.0.6", count=1).ok  # a1 knows a3's MAC now
    spoofed = frames.ethernet(a1.mac, a2.mac, 0x0806,
                              frames.arp(2, a2.mac, "10.0.0.6", a1.mac, "10.0.0.4"))
    honest = frames.ethernet(a1.mac, a2.mac, 0x0806,
                             frames.arp(2, a2.mac, "10.0.0.5", a1.mac, "10.0.0.4"))
    with capture(seed, "vm-a1", bpf="arp") as at_a1:
        send_frames(seed.ec.host("vm-a2").pid, "raw", "eth0", spoofed.hex(), "3")
        send_frames(seed.ec.host("vm-a2").pid, "raw", "eth0", honest.hex())
        dropped = walks.poll_until(
            lambda: flow_counters(ovs, "br-int").get(spoof_drop, 0) - before,
            lambda n: n >= 3, walks.COUNTER_DEADLINE)
    assert dropped >= 3
    assert at_a1.count("10.0.0.6 is-at") == 0
    assert at_a1.count("10.0.0.5 is-at") == 1
    assert a3.mac in seed.ec.vm_run("vm-a1", "ip", "neigh", "show", "10.0.0.6").stdout


def test_arp_for_a_local_vm_is_answered_once(seed):
    """vm-a1 asks for vm-a2: br-int answers; vm-a2 never sees the request; one reply."""
    a2 = walks.port(seed, "vm-a2")
    seed.ec.vm_run("vm-a1", "ip", "neigh", "flush", "dev", "eth0")
    with capture(seed, "vm-a1", bpf="arp") as at_a1, capture(seed, "vm-a2", bpf="arp") as at_a2:
        assert ping(seed.ec.host("vm-a1").pid, "10.0.0.5", count=1).ok
    assert at_a1.count("Reply 10.0.0.5 is-at " + a2.mac) == 1
    assert at_a2.count("Request who-has 10.0.0.5") == 0


@pytest.mark.parametrize("src, dst", [("vm-a1", "vm-a3"), ("vm-b3", "vm-b1")])
def test_ping6_across_nodes_with_neighbour_discovery_answered_locally(seed, src, dst):
    check = walks.walk_nd(seed, src, dst)
    assert check.passed, str(check)
