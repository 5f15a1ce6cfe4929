"""The simulator checked against `ovs-appctl ofproto/trace` on real bridges.

compute1's computed br-int and br-tun flows are loaded into a private ovs-vswitchd (netdev
datapath, in a throwaway namespace) whose ports carry the simulator's port numbers; then the
same packets go through both, and the tables hit and the ports output to must agree.
"""
import os

import pytest

from cloud.naming import BR_INT, BR_TUN, PATCH_INT, PATCH_TUN, tap_name
from flows import cloudsim, desired, ofctl
from flows.flow import BROADCAST_MAC, ETH_TYPE_IP
from flows.simulator import Packet
from flows.tunnels import desired_tunnels
from tests.support import ovstrace
from tests.support.netns_ovs import private_ovs

NODE = "compute1"
pytestmark = pytest.mark.ovs


@pytest.fixture(scope="module", params=[True, False], ids=["l2pop", "learning"])
def loaded(request, seed_raw_module):
    from cloud import schema
    cloud = schema.parse(dict(seed_raw_module, l2_population=request.param), "<seed>")
    ports = cloudsim.number_ports(cloud, NODE)
    flows = desired.node_flows(cloudsim.node_view(cloud, NODE, ports))
    specs = desired_tunnels(cloud, NODE)
    with private_ovs("trace") as ovs:
        args = []
        for br in (BR_INT, BR_TUN):
            args += ["--", "add-br", br, "--", "set", "bridge", br, "datapath_type=netdev",
                     "fail_mode=secure", "protocols=OpenFlow10,OpenFlow13"]
        args += ["--", "add-port", BR_INT, PATCH_TUN, "--", "set", "interface", PATCH_TUN,
                 "type=patch", f"options:peer={PATCH_INT}", "ofport_request=1",
                 "--", "add-port", BR_TUN, PATCH_INT, "--", "set", "interface", PATCH_INT,
                 "type=patch", f"options:peer={PATCH_TUN}", "ofport_request=1"]
        for name, no in ports.int_ports.items():
            if name != PATCH_TUN:
                args += ["--", "add-port", BR_INT, name, "--", "set", "interface", name,
                         "type=internal", f"ofport_request={no}"]
        for name, no in ports.tun_ports.items():
            if name != PATCH_INT:
                spec = specs[name]
                opts = [f"options:{k}={v}" for k, v in spec.interface_options().items()]
                args += ["--", "add-port", BR_TUN, name, "--", "set", "interface", name,
                         f"type={spec.type}", f"ofport_request={no}", *opts]
        ovs.vsctl(*args)
        for br in (BR_INT, BR_TUN):
            assert ovs.ofports(br) == (ports.int_ports if br == BR_INT else ports.tun_ports)
            path = os.path.join(ovs.rundir, br + ".flows")
            with open(path, "w") as fh:
                fh.writelines(ofctl.render(f) + "\n" for f in flows[br].values())
            ovs.ofctl("add-flows", br, path)
        yield cloud, ovs, flows, ports


@pytest.fixture(scope="module")
def seed_raw_module():
    import yaml
    from tests.conftest import SEED
    with open(SEED) as fh:
        return yaml.safe_load(fh)


def test_real_bridge_holds_exactly_the_computed_flows(loaded):
    _, ovs, flows, _ = loaded
    for br in (BR_INT, BR_TUN):
        assert desired.index(ofctl.parse_dump(ovs.dump_flows(br))) == flows[br]


def trace_flow(fields: dict) -> str:
    parts = []
    # the protocol first: OVS refuses arp_* fields before it knows the packet is ARP
    for name, value in sorted(fields.items(), key=lambda kv: kv[0] != "eth_type"):
        key = {"eth_src": "dl_src", "eth_dst": "dl_dst", "eth_type": "dl_type",
               "tunnel_id": "tun_id", "vlan_tci": "vlan_tci"}.get(name, name)
        text = value if not isinstance(value, int) or name == "arp_op" else hex(value)
        parts.append(f"{key}={text}")
    return ",".join(parts)


def by_name(cloud, name):
    return next(p for p in cloud.ports if p.name == name)


CASES = {
    "walk1 a1->a2": ("vm-a1", "vm-a2", {}),
    "unknown unicast a1->a3": ("vm-a1", "vm-a3", {}),
    "broadcast from a1": ("vm-a1", None, {}),
    "broadcast from b1": ("vm-b1", None, {}),
    "tagged frame from a1": ("vm-a1", "vm-b2", {"vlan_tci": 0x1002}),
    "vxlan from compute2, vni 5000": ("vxlan-c0a8640c", "vm-a1", {"tunnel_id": 5000}),
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
}


@pytest.mark.parametrize("case", list(CASES))
def test_simulator_agrees_with_ofproto_trace(loaded, case):
    cloud, ovs, _, ports = loaded
    src, dst, extra = CASES[case]
    from_tunnel = src.startswith(("vxlan-", "gre-"))
    eth_src = "fa:16:3e:00:00:99" if from_tunnel else by_name(cloud, src).mac
    eth_dst = by_name(cloud, dst).mac if dst else BROADCAST_MAC
    fields = dict(eth_src=eth_src, eth_dst=eth_dst, eth_type=ETH_TYPE_IP) | extra
    if fields["eth_type"] == 0x0806:  # a real ARP packet has every ARP field
        fields = {"arp_sha": "00:00:00:00:00:00", "arp_tha": "00:00:00:00:00:00"} | fields
    bridge, port = (BR_TUN, src) if from_tunnel else (BR_INT, tap_name(by_name(cloud, src).id))

    sim = cloudsim.build(cloud)  # fresh: no learned flows from another case
    result = sim.inject(NODE, bridge, port, Packet.make(**fields))
    sim_hits = [(h.bridge, h.flow.table, h.flow.priority) for h in result.hits if h.node == NODE]
    numbers = {BR_INT: ports.int_ports, BR_TUN: ports.tun_ports}
    sim_out = [(BR_INT, ports.int_ports[d.port]) for d in result.deliveries if d.node == NODE]
    sim_out += [(BR_TUN, ports.tun_ports[x.tunnel]) for x in result.transmissions
                if x.node == NODE]

    in_port = numbers[bridge][port]
    flow = f"in_port={in_port}," + trace_flow(fields)
    if from_tunnel:
        spec = desired_tunnels(cloud, NODE)[src]
        flow += f",tun_src={spec.remote_ip},tun_dst={spec.local_ip}"
    text = ovs.appctl("ofproto/trace", bridge, flow)
    trace = ovstrace.parse(text, {BR_INT: {1}, BR_TUN: {1}}, in_port)
    assert sim_hits == trace.hits, text
    assert sorted(sim_out) == sorted(trace.outputs), text
