"""A whole cloud in the simulator: every node's br-int and br-tun with its desired flows.

Port numbers are assigned the way a fresh OVS would plausibly number them (patch ports 1, then
VM ports and tunnel ports in name order); tests/pipeline uses the same numbering as
`ofport_request` when it loads the flows into a real bridge for ofproto/trace.
"""
from __future__ import annotations

from dataclasses import dataclass

from cloud.model import Cloud
from cloud.naming import BR_INT, BR_TUN, PATCH_INT, PATCH_TUN
from flows import desired, localvlan
from flows.simulator import Endpoint, Simulator
from flows.tunnels import desired_tunnels
from flows.view import NodeState, NodeView

FIRST_VM_PORT = 10
FIRST_TUNNEL_PORT = 2


@dataclass(frozen=True)
class NodePorts:
    int_ports: dict[str, int]   # br-int: name -> ofport
    tun_ports: dict[str, int]   # br-tun: name -> ofport


def number_ports(cloud: Cloud, node: str) -> NodePorts:
    vms = sorted(p.device for p in cloud.ports_on(node))
    tunnels = sorted(desired_tunnels(cloud, node))
    return NodePorts(
        int_ports={PATCH_TUN: 1} | {name: FIRST_VM_PORT + i for i, name in enumerate(vms)},
        tun_ports={PATCH_INT: 1} | {name: FIRST_TUNNEL_PORT + i for i, name in enumerate(tunnels)})


def node_view(cloud: Cloud, node: str, ports: NodePorts | None = None) -> NodeView:
    ports = ports or number_ports(cloud, node)
    vlans = localvlan.allocate({}, [n.id for n in cloud.networks_on(node)])
    return NodeView.of_node(cloud, node, NodeState(vlans, ports.int_ports, ports.tun_ports))


def build(cloud: Cloud) -> Simulator:
    sim = Simulator()
    for node in cloud.nodes:
        ports = number_ports(cloud, node.name)
        flows = desired.node_flows(node_view(cloud, node.name, ports))
        br_int = sim.add_bridge(node.name, BR_INT, flows[BR_INT].values())
        br_tun = sim.add_bridge(node.name, BR_TUN, flows[BR_TUN].values())
        br_int.ports[1] = Endpoint("patch", PATCH_TUN, peer_bridge=BR_TUN, peer_port=PATCH_INT)
        br_tun.ports[1] = Endpoint("patch", PATCH_INT, peer_bridge=BR_INT, peer_port=PATCH_TUN)
        for name, no in ports.int_ports.items():
            if name != PATCH_TUN:
                br_int.ports[no] = Endpoint("vm", name)
        specs = desired_tunnels(cloud, node.name)
        for name, no in ports.tun_ports.items():
            if name != PATCH_INT:
                spec = specs[name]
                br_tun.ports[no] = Endpoint("tunnel", name, remote_node=spec.remote_node,
                                            tunnel_type=spec.type)
    return sim
