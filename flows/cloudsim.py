"""A whole cloud in the simulator: every node's br-int, br-tun and physical bridges (br-ethN,
joined by their NICs' physical network) with its desired flows.

Port numbers are assigned the way a fresh OVS would plausibly number them (patch ports first,
then VM ports and tunnel ports in name order); tests/pipeline uses the same numbering as
`ofport_request` when it loads the flows into a real bridge for ofproto/trace.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from cloud.model import Cloud
from cloud.naming import BR_INT, BR_TUN, PATCH_INT, PATCH_TUN
from flows import desired, localvlan
from flows.simulator import Endpoint, Simulator
from flows.tunnels import desired_tunnels
from flows.view import NodeState, NodeView

FIRST_VM_PORT = 10
FIRST_TUNNEL_PORT = 2
FIRST_PHYS_PATCH = 2    # int-br-ethN on br-int (at most 8 mappings before the VMs)


@dataclass(frozen=True)
class NodePorts:
    int_ports: dict[str, int]   # br-int: name -> ofport
    tun_ports: dict[str, int]   # br-tun: name -> ofport
    phys_ports: dict[str, dict[str, int]] = field(default_factory=dict)  # br-ethN: ...


def number_ports(cloud: Cloud, node: str) -> NodePorts:
    """patch-tun 1, int-br-ethN from 2 on br-int, VMs from 10; on br-ethN, phy-br-ethN 1 and
    its NIC 2."""
    vms = sorted(p.device for p in cloud.ports_on(node))
    tunnels = sorted(desired_tunnels(cloud, node))
    mappings = cloud.node(node).bridge_mappings
    return NodePorts(
        int_ports={PATCH_TUN: 1} | {m.int_patch: FIRST_PHYS_PATCH + i
                                    for i, m in enumerate(mappings)}
        | {name: FIRST_VM_PORT + i for i, name in enumerate(vms)},
        tun_ports={PATCH_INT: 1} | {name: FIRST_TUNNEL_PORT + i for i, name in enumerate(tunnels)},
        phys_ports={m.bridge: {m.phy_patch: 1, m.nic: 2} for m in mappings})


def node_view(cloud: Cloud, node: str, ports: NodePorts | None = None) -> NodeView:
    ports = ports or number_ports(cloud, node)
    vlans = localvlan.allocate({}, [n.id for n in cloud.networks_on(node)])
    return NodeView.of_node(cloud, node, NodeState(vlans, ports.int_ports, ports.tun_ports,
                                                   ports.phys_ports))


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
            if no >= FIRST_VM_PORT:
                br_int.ports[no] = Endpoint("vm", name)
        specs = desired_tunnels(cloud, node.name)
        for name, no in ports.tun_ports.items():
            if name != PATCH_INT:
                spec = specs[name]
                br_tun.ports[no] = Endpoint("tunnel", name, remote_node=spec.remote_node,
                                            tunnel_type=spec.type)
        for m in node.bridge_mappings:
            phys = sim.add_bridge(node.name, m.bridge, flows[m.bridge].values())
            phys.ports[1] = Endpoint("patch", m.phy_patch, peer_bridge=BR_INT,
                                     peer_port=m.int_patch)
            phys.ports[2] = Endpoint("nic", m.nic, physnet=m.physnet)
            br_int.ports[ports.int_ports[m.int_patch]] = Endpoint(
                "patch", m.int_patch, peer_bridge=m.bridge, peer_port=m.phy_patch)
    return sim
