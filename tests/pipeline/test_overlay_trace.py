"""`overlay trace` on the seed cloud (flows/trace.py, without switches): each walk's verdict,
each attack's drop with its table and the reason in Neutron's words, each hop's flow with the
cloud object it exists for; the API resource and its refusals; the command's text."""
import re

import pytest

from flows import cloudsim, trace
from flows.trace_packet import TraceError, parse, render

A1_MAC, A3_MAC, B3_MAC = "fa:16:3e:eb:06:2d", "fa:16:3e:49:00:b5", "fa:16:3e:6a:31:c4"
FROM_C2 = "compute1:vxlan-c0a8640c"       # compute1's VXLAN tunnel from compute2


@pytest.fixture
def run(seed_cloud):
    states = cloudsim.fresh_states(seed_cloud)
    return lambda source, spec: trace.trace(seed_cloud, states, source, spec)


@pytest.mark.parametrize("source, spec, summary", [
    ("vm-a1", "icmp,nw_dst=10.0.0.5", "delivered to port vm-a2 (tap45957f77-79) on compute1"),
    ("vm-a1", "icmp,nw_dst=10.0.0.6", "delivered to port vm-a3 (tap0f474d5d-51) on compute2"),
    ("vm-b1", "tcp,nw_dst=10.0.0.6,tp_dst=22",
     "delivered to port vm-b3 (tap45938ca1-33) on compute2"),
    ("vm-d1", "icmp,nw_dst=10.0.4.6", "delivered to port vm-d3 (tapd3d3d3d3-00) on compute2"),
    ("vm-f1", "icmp,nw_dst=10.0.6.5", "delivered to port vm-f2 (tapf2f2f2f2-00) on compute2"),
    ("vm-a1", "icmp6,ipv6_dst=fd00::6",
     "delivered to port vm-a3 (tap0f474d5d-51) on compute2"),
    ("vm-c1", "icmp,nw_dst=10.1.101.254", "leaves OVS on network into "
     "qrouter-2f8d4a6c-9e1b-4d3a-8c7f-5b2e9d1a4c6e (router TenantC-R1) through qr-7e4a2c9d-1f"),
    ("vm-a1", "udp,nw_src=0.0.0.0,nw_dst=255.255.255.255,tp_src=68,tp_dst=67,"
     "dl_dst=ff:ff:ff:ff:ff:ff", "leaves OVS on network into "
     "qrouter-45765633-1bd6-41c7-bdfc-7d425818135a (router TenantA-R1) through qr-6defad4c-b2; "
     "leaves OVS on network into qdhcp-84191af8-269f-485a-b394-85d79e53a39a (dnsmasq) through "
     "tap6a1f3e2d-0c; delivered to port vm-a2 (tap45957f77-79) on compute1"),
    ("vm-a1", "arp,arp_tpa=10.0.0.6", "answered by br-tun's ARP_RESPONDER (table 21) on "
     "compute1 for port vm-a3 (tap0f474d5d-51, compute:nova) on compute2 (L2 population): no "
     "ARP request left the node"),
    ("vm-a1", "arp,arp_tpa=10.0.0.5", "answered by br-int's LOCAL_RESPONDER (table 26) on "
     "compute1 for port vm-a2 (tap45957f77-79, compute:nova): no ARP request left the node"),
    ("network:eth2", "icmp,nw_src=10.1.101.254,nw_dst=10.1.101.241", "leaves OVS on network "
     "into qrouter-45765633-1bd6-41c7-bdfc-7d425818135a (router TenantA-R1) through "
     "qg-d7e5d255-62"),
])
def test_the_walks_end_where_the_network_takes_them(run, source, spec, summary):
    assert run(source, spec).summary == summary


@pytest.mark.parametrize("source, spec, summary", [
    ("vm-a1", f"icmp,nw_dst=10.0.0.6,dl_dst={B3_MAC}",
     "dropped: the destination MAC is port vm-b3 of another network, TenantB-Net; frames "
     "never leave their own network (TenantA-Net)"),
    (FROM_C2, f"icmp,tun_id=9999,nw_dst=10.0.0.4,dl_dst={A1_MAC}",
     "dropped: unknown VNI, no network of this node has it (a forged or foreign tunnel) (at "
     "compute1 br-tun table 4 VXLAN_TUN_TO_LV)"),
    ("vm-a2", f"arp,arp_op=2,arp_spa=10.0.0.6,arp_tpa=10.0.0.4,dl_dst={A1_MAC}",
     "dropped by ARP spoofing protection: the sender IP or MAC is not the port's (port "
     "security) (at compute1 br-int table 24 ARP_SPOOF)"),
    ("vm-a1", "icmp,nw_dst=10.0.0.6,dl_vlan=2",
     "dropped: a VM port sends untagged frames only (a tagged frame from a VM, or a VLAN this "
     "node does not use from patch-tun) (at compute1 br-int table 0 LOCAL_SWITCHING)"),
    ("vm-a1", "icmp,nw_src=10.0.0.99,nw_dst=10.0.0.6",
     "dropped: spoofed source IP, neither the port's fixed IP nor an allowed address pair "
     "(port security) (at compute1 br-int table 93 DROPPED_TRAFFIC)"),
    ("vm-a1", "icmp,nw_dst=10.0.0.6,dl_src=fa:16:3e:66:66:66",
     "dropped: spoofed source MAC, not the port's (port security) (at compute1 br-int table "
     "25 MAC_SPOOF)"),
    (FROM_C2, f"tcp,tun_id=5000,nw_src=192.0.2.9,nw_dst=10.0.0.4,tp_dst=22,dl_dst={A1_MAC}",
     "dropped: no security group rule of the port allows it (ingress) (at compute1 br-int "
     "table 93 DROPPED_TRAFFIC)"),
    ("vm-a1", "udp,nw_dst=255.255.255.255,tp_src=67,tp_dst=68,dl_dst=ff:ff:ff:ff:ff:ff",
     "dropped: a VM may not act as a DHCP server or send router advertisements (port "
     "security) (at compute1 br-int table 93 DROPPED_TRAFFIC)"),
    ("compute1:eth3", "icmp,dl_vlan=150,nw_dst=10.0.4.4,dl_dst=fa:16:3e:d0:00:01",
     "dropped: a provider VLAN no network of this node has, from the physical bridge (at "
     "compute1 br-int table 0 LOCAL_SWITCHING)"),
])
def test_drops_are_explained_with_their_table(run, source, spec, summary):
    assert run(source, spec).summary == summary


def test_each_hop_names_its_flow_and_what_it_exists_for(run):
    hops = run("vm-a1", "icmp,nw_dst=10.0.0.6").hops
    first = hops[0]
    assert (first.node, first.bridge, first.table, first.name) == ("compute1", "br-int", 0,
                                                                   "LOCAL_SWITCHING")
    assert first.flow.startswith("priority=10,in_port=")
    assert first.owners == ["port vm-a1 (tap974a43e3-90, compute:nova)"]
    owners = {(h.node, h.bridge, h.table): h.owners for h in hops}
    assert owners[("compute1", "br-tun", 20)] == [
        "port vm-a3 (tap0f474d5d-51, compute:nova) on compute2 (L2 population)"]
    assert owners[("compute2", "br-tun", 0)] == ["tunnel vxlan-c0a8640b (VXLAN) to compute1"]
    assert owners[("compute2", "br-tun", 4)] == [
        "network TenantA-Net (vxlan 5000, local VLAN 1)"]
    (rule,) = owners[("compute2", "br-int", 82)]
    assert rule.startswith("security group rule ") and \
        rule.endswith("of group default: ingress IPv4 icmp, remote 0.0.0.0/0")
    assert all(h.owners for h in hops), [h for h in hops if not h.owners]
    segments = [(h.node, h.segment) for h in hops]
    assert sorted(set(segments), key=segments.index) == [("compute1", 0), ("compute2", 1)]
    # compute2 tracks the packet itself (OVS clears conntrack state between nodes): untracked
    (base,) = [h for h in hops if (h.node, h.table) == ("compute2", 81)]
    assert "ct_state=-trk" in base.flow


def test_a_unicast_on_a_physical_network_goes_to_its_node_only(run):
    """The switches have learned where vm-d3's MAC is: the network node sees nothing."""
    hops = run("vm-d1", "icmp,nw_dst=10.0.4.6").hops
    assert {h.node for h in hops} == {"compute1", "compute2"}
    assert {h.node for h in run("vm-d1", "arp,arp_tpa=10.0.4.6").hops} >= {"network"}


def test_the_packet_spec_and_its_faults(seed_cloud, run):
    fields = parse("tcp,nw_dst=10.0.0.6,tp_dst=22,dl_vlan=3")
    assert fields == {"eth_type": 0x800, "ip_proto": 6, "ipv4_dst": "10.0.0.6",
                      "tcp_dst": 22, "vlan_tci": 0x1003}
    assert render(fields) == "dl_type=0x800,nw_proto=6,tcp_dst=22,nw_dst=10.0.0.6," \
                             "vlan_tci=0x1003"
    for source, spec, fault in [
            ("vm-a1", "geneve,nw_dst=10.0.0.6", "'geneve' is not a protocol"),
            ("vm-a1", "icmp,nw_dst=10.0.0.300", "nw_dst=10.0.0.300: not an IP address"),
            ("vm-a1", "icmp,colour=blue", "unknown field 'colour'"),
            ("vm-a1", "ip,tp_dst=22", "tp_dst needs tcp, udp or sctp first"),
            ("vm-a1", "icmp", "give the destination (nw_dst)"),
            ("vm-a1", "icmp,nw_dst=10.0.0.99", "no port of TenantA-Net has 10.0.0.99"),
            ("vm-c1", "icmp6,ipv6_dst=fd00::6", "port vm-c1 has no IPv6 address"),
            ("vm-z9", "icmp,nw_dst=10.0.0.6", "no port 'vm-z9'"),
            ("compute1:vxlan-c0a8640c", "icmp,nw_dst=10.0.0.4", "needs tun_id"),
            ("compute1:eth9", "icmp", "neither a tunnel port"),
            ("compute1:vxlan-0a0a0a0a", "icmp,tun_id=5000,dl_dst=fa:16:3e:eb:06:2d",
             "compute1/br-tun has no port vxlan-0a0a0a0a"),
            ("compute7:eth3", "icmp", "no node 'compute7'")]:
        with pytest.raises(TraceError, match=re.escape(fault)):
            run(source, spec)


def test_the_command_prints_hops_owners_and_the_verdict(run):
    out = trace.text(run("vm-d1", "icmp,nw_dst=10.0.4.6").as_dict()).splitlines()
    assert out[0].startswith("trace from vm-d1: dl_type=0x800,nw_proto=1,")
    assert "  compute1 br-eth1" in out and "  compute2 br-int" in out
    assert any("set_field:4197->vlan_vid,NORMAL" in line for line in out)
    assert "       <- network TenantD-Net (vlan 101, local VLAN 3)" in out
    assert out[out.index("verdict: delivered to port vm-d3 (tapd3d3d3d3-00) on compute2") + 1:]\
        == []
