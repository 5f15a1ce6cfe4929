"""`overlay trace` against the live seed cloud: the API traces with the controller's own local
VLANs and port numbers, `--verify` (ofproto/trace on every node the packet enters) finds no
difference, and the verdict is what the network does (pings for the walks; the attacks'
drops are what tests/integration/test_security_groups.py and test_seed_cloud.py count)."""
import subprocess
import sys

import pytest

from mininet_topos import trace_check
from mininet_topos.traffic import ping

CASES = [
    # (from, packet, the verdict starts with, destination VM to ping or None)
    ("vm-a1", "icmp,nw_dst=10.0.0.5", "delivered to port vm-a2", "10.0.0.5"),
    ("vm-a1", "icmp,nw_dst=10.0.0.6", "delivered to port vm-a3", "10.0.0.6"),
    ("vm-b1", "icmp,nw_dst=10.0.0.6", "delivered to port vm-b3", "10.0.0.6"),
    ("vm-d1", "icmp,nw_dst=10.0.4.6", "delivered to port vm-d3", "10.0.4.6"),
    ("vm-f2", "icmp,nw_dst=10.0.6.4", "delivered to port vm-f1", "10.0.6.4"),
    ("vm-c1", "icmp,nw_dst=10.0.0.6", "leaves OVS on network into qrouter-", None),
    ("vm-a1", "arp,arp_tpa=10.0.0.6", "answered by br-tun's ARP_RESPONDER", None),
    ("vm-a1", "icmp,nw_dst=10.0.0.6,dl_dst=fa:16:3e:6a:31:c4",
     "dropped: the destination MAC is port vm-b3 of another network", None),
    ("vm-a1", "icmp,nw_src=10.0.0.99,nw_dst=10.0.0.6", "dropped: spoofed source IP", None),
    ("vm-a1", "icmp,nw_dst=10.0.0.6,dl_vlan=2", "dropped: a VM port sends untagged", None),
    ("vm-a2", "arp,arp_op=2,arp_spa=10.0.0.6,arp_tpa=10.0.0.4,dl_dst=fa:16:3e:eb:06:2d",
     "dropped by ARP spoofing protection", None),
    ("compute1:vxlan-c0a8640c", "icmp,tun_id=9999,nw_dst=10.0.0.4,dl_dst=fa:16:3e:eb:06:2d",
     "dropped: unknown VNI", None),
    ("compute1:vxlan-c0a8640c", "tcp,tun_id=5000,nw_src=192.0.2.9,nw_dst=10.0.0.4,tp_dst=22,"
     "dl_dst=fa:16:3e:eb:06:2d", "dropped: no security group rule of the port allows it", None),
    ("compute1:gre-c0a8640c", "icmp,tun_id=5000,nw_dst=10.0.0.4,dl_dst=fa:16:3e:9c:5e:55",
     "dropped: unknown GRE key", None),
    ("vm-a1", "udp,nw_dst=255.255.255.255,tp_src=67,tp_dst=68,dl_dst=ff:ff:ff:ff:ff:ff",
     "dropped: a VM may not act as a DHCP server", None),
    ("vm-a1", "icmp6,ipv6_src=fe80::f816:3eff:feeb:62d,ipv6_dst=ff02::1,icmpv6_type=134,"
     "dl_dst=33:33:00:00:00:01", "dropped: a VM may not act as a DHCP server or send router "
     "advertisements", None),
    ("vm-a1", "icmp6,ipv6_src=fd00::99,ipv6_dst=fd00::6", "dropped: spoofed source IP", None),
    ("vm-a1", "icmp,nw_dst=10.0.0.6,dl_src=fa:16:3e:66:66:66", "dropped: spoofed source MAC",
     None),
    ("vm-a3", "icmp,nw_dst=10.1.101.254", "leaves OVS on network into qrouter-", None),
    ("compute1:eth3", "icmp,dl_vlan=150,nw_dst=10.0.4.4,dl_dst=fa:16:3e:d0:00:01",
     "dropped: a provider VLAN no network of this node has", None),
    ("compute1:eth3", "icmp,dl_vlan=101,nw_src=10.0.4.9,nw_dst=10.0.4.4,"
     "dl_dst=fa:16:3e:d0:00:01", "delivered to port vm-d1", None),
    ("network:eth2", "icmp,nw_src=10.1.101.254,nw_dst=10.1.101.241",   # walk 3, inbound
     "leaves OVS on network into qrouter-45765633-1bd6-41c7-bdfc-7d425818135a", None),
    ("vm-a2", "icmp6,ipv6_src=fd00::5,ipv6_dst=fd00::4,icmpv6_type=136,nd_target=fd00::6,"
     "dl_dst=fa:16:3e:eb:06:2d", "dropped by ARP spoofing protection", None),
    ("vm-a1", "udp6,ipv6_src=fe80::f816:3eff:feeb:62d,ipv6_dst=ff02::1:2,tp_src=547,"
     "tp_dst=546,dl_dst=33:33:00:01:00:02", "dropped: a VM may not act as a DHCP server", None),
]


@pytest.mark.parametrize("source, packet, verdict, ping_ip", CASES,
                         ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_trace_verdicts_agree_with_the_switches_and_the_network(seed, source, packet, verdict,
                                                               ping_ip):
    if ping_ip is not None:   # (first: the physical switches learn where the VMs are, as
        # the trace assumes of a cloud whose ports have spoken)
        assert ping(seed.ec.host(source).pid, ping_ip, count=2, interval=0.05).ok
    found = seed.api.request("POST", "/traces", {"trace": {"from": source,
                                                           "packet": packet}})["trace"]
    assert found["summary"].startswith(verdict), found["summary"]
    assert trace_check.verify(found, seed.ovs) == []


def test_the_overlay_command_traces_and_verifies(seed):
    """As a user types it, on the machine of the emulated cloud (as root)."""
    assert ping(seed.ec.host("vm-d1").pid, "10.0.4.6", count=2, interval=0.05).ok
    proc = subprocess.run(
        [sys.executable, "-m", "controller.cli", "--url", seed.controller.api_url,
         "--token", seed.controller.auth_token, "trace", "vm-d1", "icmp,nw_dst=10.0.4.6",
         "--verify"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert out[0].startswith("trace from vm-d1: dl_type=0x800,nw_proto=1,")
    assert "  compute1 br-eth1" in out
    assert "verdict: delivered to port vm-d3 (tapd3d3d3d3-00) on compute2" in out
    assert out[-1] == "verify: ofproto/trace agrees on every node"


def test_the_graph_counts_tunnel_and_port_packets(seed, tmp_path):
    """`overlay graph --counters` on the live seed: after pings across VXLAN, the tunnel
    between compute1 and compute2 and vm-a3's port carry counts, read from the switches."""
    import re
    import xml.etree.ElementTree as ET
    assert ping(seed.ec.host("vm-a1").pid, "10.0.0.6", count=5, interval=0.05).ok
    path = tmp_path / "seed.svg"
    proc = subprocess.run(
        [sys.executable, "-m", "controller.cli", "--url", seed.controller.api_url,
         "--token", seed.controller.auth_token, "graph", "-o", str(path), "--counters"],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{path}: 3 nodes, 6 networks, 20 bound ports, 6 tunnels")
    root = ET.parse(path).getroot()
    texts = " ".join(t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text)
    counts = re.search(r"compute1->compute2 (\d+) pkts, compute2->compute1 (\d+) pkts", texts)
    assert counts and int(counts.group(1)) >= 5 and int(counts.group(2)) >= 5, texts[:2000]
    assert re.search(r"rx (\d+) / tx (\d+) pkts", texts)
