"""The simulator checked against `ovs-appctl ofproto/trace` on real bridges.

compute1's computed br-int and br-tun flows are loaded into a private ovs-vswitchd (netdev
datapath, in a throwaway namespace) whose ports carry the simulator's port numbers; then the
same packets go through both, and the tables hit and the ports output to must agree.
"""
import os

import pytest

from cloud.naming import BR_INT, BR_TUN, PATCH_INT, PATCH_TUN
from flows import cloudsim, desired, ofctl
from flows import tables as t
from flows.flow import BROADCAST_MAC, ETH_TYPE_IP, OFPP_NORMAL, Output
from flows.simulator import Packet
from flows.trace_packet import render
from flows.tunnels import desired_tunnels
from mininet_topos import ovstrace
from tests.support import golden
from tests.support.netns_ovs import private_ovs

NODE = "compute1"
pytestmark = pytest.mark.ovs


@pytest.fixture(scope="module", params=["l2pop", "learning", "dhcp"])
def loaded(request):
    from cloud import schema
    from tests.conftest import variant_raw
    cloud = schema.parse(variant_raw(request.param), f"<{request.param}>")
    ports = cloudsim.number_ports(cloud, NODE)
    flows = desired.node_flows(cloudsim.node_view(cloud, NODE, ports))
    specs = desired_tunnels(cloud, NODE)
    mappings = cloud.node(NODE).bridge_mappings
    bridges = (BR_INT, BR_TUN) + tuple(m.bridge for m in mappings)
    with private_ovs("trace") as ovs:
        args = []
        for br in bridges:
            args += ["--", "add-br", br, "--", "set", "bridge", br, "datapath_type=netdev",
                     "fail_mode=secure", "protocols=OpenFlow10,OpenFlow13"]
        for m in mappings:   # int-br-ethN <-> phy-br-ethN, and the NIC (an internal port)
            args += ["--", "add-port", m.bridge, m.phy_patch, "--", "set", "interface",
                     m.phy_patch, "type=patch", f"options:peer={m.int_patch}",
                     f"ofport_request={ports.phys_ports[m.bridge][m.phy_patch]}",
                     "--", "add-port", m.bridge, m.nic, "--", "set", "interface", m.nic,
                     "type=internal",
                     f"ofport_request={ports.phys_ports[m.bridge][m.nic]}",
                     "--", "add-port", BR_INT, m.int_patch, "--", "set", "interface",
                     m.int_patch, "type=patch", f"options:peer={m.phy_patch}",
                     f"ofport_request={ports.int_ports[m.int_patch]}"]
        args += ["--", "add-port", BR_INT, PATCH_TUN, "--", "set", "interface", PATCH_TUN,
                 "type=patch", f"options:peer={PATCH_INT}", "ofport_request=1",
                 "--", "add-port", BR_TUN, PATCH_INT, "--", "set", "interface", PATCH_INT,
                 "type=patch", f"options:peer={PATCH_TUN}", "ofport_request=1"]
        for name, no in ports.int_ports.items():
            if no >= cloudsim.FIRST_VM_PORT:
                args += ["--", "add-port", BR_INT, name, "--", "set", "interface", name,
                         "type=internal", f"ofport_request={no}"]
        for name, no in ports.tun_ports.items():
            if name != PATCH_INT:
                spec = specs[name]
                opts = [f"options:{k}={v}" for k, v in spec.interface_options().items()]
                args += ["--", "add-port", BR_TUN, name, "--", "set", "interface", name,
                         f"type={spec.type}", f"ofport_request={no}", *opts]
        ovs.vsctl(*args)
        numbers = {BR_INT: ports.int_ports, BR_TUN: ports.tun_ports, **ports.phys_ports}
        for br in bridges:
            assert ovs.ofports(br) == numbers[br]
            path = os.path.join(ovs.rundir, br + ".flows")
            with open(path, "w") as fh:
                fh.writelines(ofctl.render(f) + "\n" for f in flows[br].values())
            ovs.ofctl("add-flows", br, path)
        yield cloud, ovs, flows, ports


def test_real_bridge_holds_exactly_the_computed_flows(loaded, request):
    """...and prints them as recorded in tests/golden/dump_<cloud>_<bridge>.txt, which tier 1
    parses (tests/unit/test_flows.py) where no switch runs."""
    _, ovs, flows, _ = loaded
    kind = request.node.callspec.params["loaded"]
    for br in flows:   # br-int, br-tun, br-eth1
        text = ovs.dump_flows(br, "--sort")
        assert desired.index(ofctl.parse_dump(text)) == flows[br]
        golden.check(f"dump_{kind}_{br}.txt", text, f"ovs-ofctl's dump of {kind} {br}")


def trace_flow(fields: dict) -> str:
    """The fields as ofproto/trace reads them (the simulator's icmp_id is no flow field)."""
    return render(fields)


def by_name(cloud, name):
    return next(p for p in cloud.ports if p.name == name)


def ns(src: str, target: str) -> dict:
    """A neighbour solicitation, to the target's solicited-node multicast group."""
    low = target.split(":")[-1].rjust(2, "0")[-2:]
    return {"eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 135, "icmpv6_code": 0,
            "ipv6_src": src, "ipv6_dst": f"ff02::1:ff00:{low}", "ipv6_nd_target": target,
            "eth_dst": f"33:33:ff:00:00:{low}"}


def na(target: str) -> dict:
    return {"eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 136, "icmpv6_code": 0,
            "ipv6_src": target, "ipv6_dst": "fd00::4", "ipv6_nd_target": target}


def icmp(src: str, dst: str) -> dict:
    return {"ip_proto": 1, "icmpv4_type": 8, "icmpv4_code": 0, "ipv4_src": src,
            "ipv4_dst": dst}


def tcp(src: str, dst: str, port: int) -> dict:
    return {"ip_proto": 6, "tcp_src": 40000, "tcp_dst": port, "ipv4_src": src, "ipv4_dst": dst}


CASES = {
    "walk1 a1->a2": ("vm-a1", "vm-a2", {}),
    "unknown unicast a1->a3": ("vm-a1", "vm-a3", {}),
    "broadcast from a1": ("vm-a1", None, {}),
    "broadcast from b1": ("vm-b1", None, {}),
    "tagged frame from a1": ("vm-a1", "vm-b2", {"vlan_tci": 0x1002}),
    "vxlan from compute2, vni 5000": ("vxlan-c0a8640c", "vm-a1", {"tunnel_id": 5000}),
    "ping from vm-a3 on compute2 (a member of vm-a1's group)": (
        "vxlan-c0a8640c", "vm-a1", {"tunnel_id": 5000, **icmp("10.0.0.6", "10.0.0.4")}),
    "ssh from vm-a3 on compute2 (a member)": (
        "vxlan-c0a8640c", "vm-a1", {"tunnel_id": 5000, **tcp("10.0.0.6", "10.0.0.4", 22)}),
    "ssh from outside the group": (
        "vxlan-c0a8640c", "vm-a1", {"tunnel_id": 5000, **tcp("192.0.2.9", "10.0.0.4", 22)}),
    "ping from outside the group (its rule: any source)": (
        "vxlan-c0a8640c", "vm-a1", {"tunnel_id": 5000, **icmp("192.0.2.9", "10.0.0.4")}),
    "ping a1->a2 (same host, same group)": ("vm-a1", "vm-a2", icmp("10.0.0.4", "10.0.0.5")),
    "ping6 a1->a2": ("vm-a1", "vm-a2", {"eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 128,
                                        "ipv6_src": "fd00::4", "ipv6_dst": "fd00::5"}),
    "tcp a1->a3 (egress, across hosts)": ("vm-a1", "vm-a3", tcp("10.0.0.4", "10.0.0.6", 80)),
    "spoofed IPv4 source from a1": ("vm-a1", "vm-a2", icmp("10.0.0.99", "10.0.0.5")),
    "vm-b1's address sent by a1": ("vm-a1", "vm-a2", icmp("10.0.0.5", "10.0.0.5")),
    "spoofed IPv6 source from a1": ("vm-a1", "vm-a2", {
        "eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 128, "ipv6_src": "fd00::99",
        "ipv6_dst": "fd00::5"}),
    "rogue DHCP server a1": ("vm-a1", None, {"ip_proto": 17, "udp_src": 67, "udp_dst": 68,
                                             "ipv4_src": "10.0.0.4",
                                             "ipv4_dst": "255.255.255.255"}),
    "rogue DHCPv6 server a1": ("vm-a1", None, {
        "eth_type": 0x86DD, "ip_proto": 17, "udp_src": 547, "udp_dst": 546,
        "ipv6_src": "fe80::f816:3eff:feeb:62d", "ipv6_dst": "ff02::1:2"}),
    "router advertisement from a1": ("vm-a1", None, {
        "eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 134,
        "ipv6_src": "fe80::f816:3eff:feeb:62d", "ipv6_dst": "ff02::1"}),
    "a non-IP ethertype from a1": ("vm-a1", "vm-a2", {"eth_type": 0x88B5}),
    "vxlan from compute2, vni 9999": ("vxlan-c0a8640c", "vm-a1", {"tunnel_id": 9999}),
    "gre from compute2, key 5001, broadcast": ("gre-c0a8640c", None, {"tunnel_id": 5001}),
    "gre from compute2, vxlan's 5000": ("gre-c0a8640c", "vm-a1", {"tunnel_id": 5000}),
    "arp request from a1 for a3": ("vm-a1", None, {"eth_type": 0x0806, "arp_op": 1,
                                                   "arp_spa": "10.0.0.4", "arp_tpa": "10.0.0.6",
                                                   "arp_sha": "fa:16:3e:eb:06:2d"}),
    "arp reply from a1 (gratuitous)": ("vm-a1", None, {"eth_type": 0x0806, "arp_op": 2,
                                                       "arp_spa": "10.0.0.4",
                                                       "arp_tpa": "10.0.0.4"}),
    "arp request from a1 for a2 (local)": ("vm-a1", None, {
        "eth_type": 0x0806, "arp_op": 1, "arp_spa": "10.0.0.4", "arp_tpa": "10.0.0.5",
        "arp_sha": "fa:16:3e:eb:06:2d"}),
    "spoofed arp reply from a2 claiming a3's IP": ("vm-a2", "vm-a1", {
        "eth_type": 0x0806, "arp_op": 2, "arp_spa": "10.0.0.6", "arp_tpa": "10.0.0.4",
        "arp_sha": "fa:16:3e:35:a0:f2"}),
    "frame from a1 with a forged source MAC": ("vm-a1", "vm-a2", {"eth_src": "fa:16:3e:66:66:66"}),
    "dhcp request from a1": ("vm-a1", None, {"ip_proto": 17, "udp_dst": 67, "udp_src": 68,
                                             "ipv4_src": "0.0.0.0",
                                             "ipv4_dst": "255.255.255.255"}),
    "neighbour solicitation from a1 for a3 (remote)": ("vm-a1", None, ns("fd00::4", "fd00::6")),
    "neighbour solicitation from a1 for a2 (local)": ("vm-a1", None, ns("fd00::4", "fd00::5")),
    "duplicate address detection from a1": ("vm-a1", None, ns("::", "fd00::4")),
    "neighbour advertisement from a2 for itself": ("vm-a2", "vm-a1", na("fd00::5")),
    "spoofed advertisement from a2 claiming a3's IPv6": ("vm-a2", "vm-a1", na("fd00::6")),
    # seed 003: VLAN 101 (TenantD-Net) and flat (TenantF-Net) on physnet1 through br-eth1
    "vlan: ping d1->d2 (same host)": ("vm-d1", "vm-d2", icmp("10.0.4.4", "10.0.4.5")),
    "vlan: ping d1->d3 (across physnet1)": ("vm-d1", "vm-d3", icmp("10.0.4.4", "10.0.4.6")),
    "vlan: broadcast from d1": ("vm-d1", None, {}),
    "flat: ping f1->f2": ("vm-f1", "vm-f2", icmp("10.0.6.4", "10.0.6.5")),
    "vlan: d1 sends a frame tagged 102": ("vm-d1", "vm-d3", {"vlan_tci": 0x1066}),
    "physnet1: VLAN 101, a ping to d1": ("eth3", "vm-d1", {"vlan_tci": 0x1065,
                                                           **icmp("10.0.4.9", "10.0.4.4")}),
    "physnet1: VLAN 102 (not on this node)": ("eth3", "vm-d1", {
        "vlan_tci": 0x1066, **icmp("10.0.4.9", "10.0.4.4")}),
    "physnet1: tagged with a local VLAN number": ("eth3", "vm-d1", {
        "vlan_tci": 0x1003, **icmp("10.0.4.9", "10.0.4.4")}),
    "physnet1: untagged, a ping to f1": ("eth3", "vm-f1", icmp("10.0.6.9", "10.0.6.4")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_simulator_agrees_with_ofproto_trace(loaded, case):
    cloud, ovs, _, ports = loaded
    src, dst, extra = CASES[case]
    from_tunnel = src.startswith(("vxlan-", "gre-"))
    nic = next((m for m in cloud.node(NODE).bridge_mappings if m.nic == src), None)
    eth_src = "fa:16:3e:00:00:99" if from_tunnel or nic else by_name(cloud, src).mac
    eth_dst = by_name(cloud, dst).mac if dst else BROADCAST_MAC
    fields = dict(eth_src=eth_src, eth_dst=eth_dst, eth_type=ETH_TYPE_IP) | extra
    if fields["eth_type"] == 0x0806:  # a real ARP packet has every ARP field
        fields = {"arp_sha": "00:00:00:00:00:00", "arp_tha": "00:00:00:00:00:00"} | fields
    bridge, port = (BR_TUN, src) if from_tunnel else (nic.bridge, src) if nic else (
        BR_INT, by_name(cloud, src).device)

    sim = cloudsim.build(cloud)  # fresh: no learned flows from another case
    result = sim.inject(NODE, bridge, port, Packet.make(**fields))
    sim_hits = [(h.bridge, h.flow.table, h.flow.priority) for h in result.hits if h.node == NODE]
    numbers = {BR_INT: ports.int_ports, BR_TUN: ports.tun_ports, **ports.phys_ports}
    sim_normal = [h.bridge for h in result.hits
                  if h.node == NODE and Output(OFPP_NORMAL) in h.flow.actions]
    sim_out = [(BR_INT, ports.int_ports[d.port]) for d in result.deliveries if d.node == NODE]
    sim_out += [(BR_TUN, ports.tun_ports[x.tunnel]) for x in result.transmissions
                if x.node == NODE]

    in_port = numbers[bridge][port]
    flow = f"in_port={in_port}," + trace_flow(fields)
    if from_tunnel:
        spec = desired_tunnels(cloud, NODE)[src]
        flow += f",tun_src={spec.remote_ip},tun_dst={spec.local_ip}"
    text = ovs.appctl("ofproto/trace", bridge, flow)
    patches = {BR_INT: {1} | {ports.int_ports[m.int_patch] for m in
                            cloud.node(NODE).bridge_mappings}, BR_TUN: {1},
               **{b: {1} for b in ports.phys_ports}}
    trace = ovstrace.parse(text, patches, in_port)
    assert sim_hits == trace.hits, text
    assert sorted(sim_out) == sorted(trace.outputs), text
    assert sim_normal == trace.normal, text


@pytest.mark.parametrize("target, owner", [("fd00::6", "vm-a3"), ("fd00::5", "vm-a2")],
                         ids=["remote", "local"])
def test_ovs_turns_a_solicitation_into_a_complete_advertisement(loaded, target, owner):
    """What the datapath really does to the packet: type 136, flags S|O, option type TLL
    carrying the owner's MAC (the two-stage ND_ADVERT design exists for this), addresses
    swapped, and back out of vm-a1's port (a remote target's solicitation is also flooded to
    vm-a2, like an ARP broadcast); nothing leaves the node."""
    cloud, ovs, flows, ports = loaded
    if not any(f.table == t.ND_ADVERT and f.priority for f in flows[BR_TUN].values()):
        pytest.skip("no ND responder without l2pop")
    a1, mac = by_name(cloud, "vm-a1"), by_name(cloud, owner).mac
    fields = dict(eth_src=a1.mac, eth_type=0x86DD, ipv6_nd_sll=a1.mac) | ns("fd00::4", target)
    in_port = ports.int_ports[a1.device]
    text = ovs.appctl("ofproto/trace", BR_INT, f"in_port={in_port}," + trace_flow(fields))
    actions = next(line for line in text.splitlines() if line.startswith("Datapath actions:"))
    for part in (f"set(eth(src={mac},dst={a1.mac}))", f"set(ipv6(src={target},dst=fd00::4))",
                 "set(nd_ext(nd_reserved=0x60000000,nd_options_type=2))",
                 f"set(nd(tll={mac}))", "set(icmpv6(type=136,code=0))"):
        assert part in actions, text
    assert actions.index("nd_ext(") < actions.index(f"nd(tll={mac})"), \
        "the option type is TLL before the MAC is written into the TLL option"
    outputs = ovstrace.parse(text, {BR_INT: {1}, BR_TUN: {1}}, in_port).outputs
    assert (BR_INT, in_port) in outputs, text
    assert not any(bridge == BR_TUN for bridge, _ in outputs), "nothing leaves the node"


# the second packet of a connection: the simulator's tracker has seen the first; OVS's trace
# is told the state conntrack would give it (--ct-next)
STATEFUL = {
    "echo reply a2->a1 (same host)": (
        ("vm-a1", "vm-a2", icmp("10.0.0.4", "10.0.0.5")),
        ("vm-a2", "vm-a1", dict(icmp("10.0.0.5", "10.0.0.4"), icmpv4_type=0)), "trk,est,rpl"),
    "echo reply from vm-a3 over VXLAN": (
        ("vm-a1", "vm-a3", icmp("10.0.0.4", "10.0.0.6")),
        ("vxlan-c0a8640c", "vm-a1", dict(icmp("10.0.0.6", "10.0.0.4"), icmpv4_type=0,
                                         tunnel_id=5000)), "trk,est,rpl"),
    "second segment a1->a2 (established)": (
        ("vm-a1", "vm-a2", tcp("10.0.0.4", "10.0.0.5", 22)),
        ("vm-a1", "vm-a2", tcp("10.0.0.4", "10.0.0.5", 22)), "trk,est"),
}


def _fields(cloud, src, dst, extra):
    from_tunnel = src.startswith(("vxlan-", "gre-"))
    eth_src = by_name(cloud, "vm-a3").mac if from_tunnel else by_name(cloud, src).mac
    return from_tunnel, dict(eth_src=eth_src, eth_dst=by_name(cloud, dst).mac,
                             eth_type=ETH_TYPE_IP) | extra


@pytest.mark.parametrize("case", list(STATEFUL))
def test_stateful_verdicts_agree_with_ofproto_trace(loaded, case):
    cloud, ovs, _, ports = loaded
    first, second, state = STATEFUL[case]
    sim = cloudsim.build(cloud)
    _, fields = _fields(cloud, *first)
    sim.inject(NODE, BR_INT, by_name(cloud, first[0]).device, Packet.make(**fields))
    src, dst, extra = second
    from_tunnel, fields = _fields(cloud, src, dst, extra)
    bridge, port = (BR_TUN, src) if from_tunnel else (BR_INT, by_name(cloud, src).device)
    result = sim.inject(NODE, bridge, port, Packet.make(**fields))
    assert result.delivered_to() == [by_name(cloud, dst).device], case
    in_port = (ports.tun_ports if from_tunnel else ports.int_ports)[port]
    flow = f"in_port={in_port}," + trace_flow(fields)
    if from_tunnel:
        spec = desired_tunnels(cloud, NODE)[src]
        flow += f",tun_src={spec.remote_ip},tun_dst={spec.local_ip}"
    text = ovs.appctl("ofproto/trace", bridge, flow, "--ct-next", state)
    trace = ovstrace.parse(text, {BR_INT: {1}, BR_TUN: {1}}, in_port)
    sim_hits = [(h.bridge, h.flow.table, h.flow.priority) for h in result.hits if h.node == NODE]
    assert sim_hits == trace.hits, text
    assert [(BR_INT, ports.int_ports[d.port]) for d in result.deliveries] == trace.outputs, text
