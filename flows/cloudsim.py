"""A whole cloud in the simulator: every node's br-int, br-tun and physical bridges (br-ethN,
joined by their NICs' physical network) with its desired flows.

Port numbers are assigned the way a fresh OVS would plausibly number them (patch ports first,
then VM ports and tunnel ports in name order); tests/pipeline uses the same numbering as
`ofport_request` when it loads the flows into a real bridge for ofproto/trace.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cloud.model import ROLE_NETWORK, Cloud
from cloud.schema_phys import EXTERNAL_PHYSNET
from cloud.naming import BR_EX, BR_INT, BR_TUN, EXT_IF, PATCH_INT, PATCH_TUN
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
    its NIC 2; on a network node's br-ex, its NIC 1 and the routers' qg- ports from 2."""
    vms = sorted(p.device for p in cloud.ports_on(node))
    tunnels = sorted(desired_tunnels(cloud, node))
    mappings = cloud.node(node).bridge_mappings
    gateways = sorted(r.gateway.device for r in cloud.routers if r.node == node and r.gateway)
    external = {BR_EX: {EXT_IF: 1} | {name: 2 + i for i, name in enumerate(gateways)}} \
        if cloud.external is not None and cloud.node(node).role == ROLE_NETWORK else {}
    return NodePorts(
        int_ports={PATCH_TUN: 1} | {m.int_patch: FIRST_PHYS_PATCH + i
                                    for i, m in enumerate(mappings)}
        | {name: FIRST_VM_PORT + i for i, name in enumerate(vms)},
        tun_ports={PATCH_INT: 1} | {name: FIRST_TUNNEL_PORT + i for i, name in enumerate(tunnels)},
        phys_ports={m.bridge: {m.phy_patch: 1, m.nic: 2} for m in mappings} | external)


def node_view(cloud: Cloud, node: str, ports: NodePorts | None = None) -> NodeView:
    ports = ports or number_ports(cloud, node)
    vlans = localvlan.allocate({}, [n.id for n in cloud.networks_on(node)])
    return NodeView.of_node(cloud, node, NodeState(vlans, ports.int_ports, ports.tun_ports,
                                                   ports.phys_ports))


def fresh_states(cloud: Cloud) -> dict[str, NodeState]:
    """Every node as a fresh controller would see it: ports numbered by number_ports, local
    VLANs allocated in the cloud's order."""
    out = {}
    for node in cloud.nodes:
        ports = number_ports(cloud, node.name)
        vlans = localvlan.allocate({}, [n.id for n in cloud.networks_on(node.name)])
        out[node.name] = NodeState(vlans, ports.int_ports, ports.tun_ports, ports.phys_ports)
    return out


def build(cloud: Cloud, states: Mapping[str, NodeState] | None = None) -> Simulator:
    """The simulator of a cloud: each node's bridges with its desired flows and its ports as
    `states` numbers them (the controller's: what the switches reported, its local VLANs);
    by default as a fresh OVS would (fresh_states). A node without a state is left out."""
    states = fresh_states(cloud) if states is None else states
    sim = Simulator()
    for node in cloud.nodes:
        state = states.get(node.name)
        if state is not None:
            _add_node(sim, cloud, node, state)
    _learn(sim, cloud, states)
    return sim


def _learn(sim: Simulator, cloud: Cloud, states: Mapping[str, NodeState]) -> None:
    """What the physical side has learned in a cloud whose ports have spoken: each VLAN or
    flat network's MACs, at their nodes (the physical switch) and behind phy-br-ethN or the
    NIC (each node's physical bridge)."""
    for router in cloud.routers:   # br-ex: each router's qg- port (its MAC) is behind it
        ports = states.get(router.node, NodeState({})).phys_ports.get(BR_EX, {})
        if router.gateway is not None and router.gateway.device in ports:
            sim.bridge(router.node, BR_EX).learned[(0, router.gateway.mac)] = ports[
                router.gateway.device]
    for net in cloud.networks:
        if net.tunnelled:
            continue
        vid = net.segmentation_id or 0
        for port in cloud.ports_of(net.id):
            sim.learned.setdefault(net.physical_network, {})[(vid, port.mac)] = port.node
            for node in cloud.nodes:
                m = node.mapping(net.physical_network)
                ports = states.get(node.name, NodeState({})).phys_ports.get(
                    m.bridge, {}) if m else {}
                side = m.phy_patch if port.node == node.name else m.nic if m else None
                if side in ports:
                    sim.bridge(node.name, m.bridge).learned[(vid, port.mac)] = ports[side]


def _add_node(sim: Simulator, cloud: Cloud, node, state: NodeState) -> None:
    flows = desired.node_flows(NodeView.of_node(cloud, node.name, state))
    br_int = sim.add_bridge(node.name, BR_INT, flows[BR_INT].values())
    br_tun = sim.add_bridge(node.name, BR_TUN, flows[BR_TUN].values())
    patches = {PATCH_TUN: (BR_TUN, PATCH_INT)} | {
        m.int_patch: (m.bridge, m.phy_patch) for m in node.bridge_mappings}
    for name, no in state.int_ports.items():
        peer = patches.get(name)
        br_int.ports[no] = Endpoint("patch", name, peer_bridge=peer[0], peer_port=peer[1]) \
            if peer else Endpoint("vm", name)
    specs = desired_tunnels(cloud, node.name)
    for name, no in state.tun_ports.items():
        if name == PATCH_INT:
            br_tun.ports[no] = Endpoint("patch", name, peer_bridge=BR_INT, peer_port=PATCH_TUN)
        elif name in specs:
            spec = specs[name]
            br_tun.ports[no] = Endpoint("tunnel", name, remote_node=spec.remote_node,
                                        tunnel_type=spec.type)
    if BR_EX in flows:   # the external NIC (a physical network of its own), qg- ports
        br_ex = sim.add_bridge(node.name, BR_EX, flows[BR_EX].values())
        for name, no in state.phys_ports.get(BR_EX, {}).items():
            br_ex.ports[no] = Endpoint("nic", name, physnet=EXTERNAL_PHYSNET) if name == EXT_IF \
                else Endpoint("vm", name)
    for m in node.bridge_mappings:
        phys = sim.add_bridge(node.name, m.bridge, flows[m.bridge].values())
        for name, no in state.phys_ports.get(m.bridge, {}).items():
            if name == m.phy_patch:
                phys.ports[no] = Endpoint("patch", name, peer_bridge=BR_INT,
                                          peer_port=m.int_patch)
            elif name == m.nic:
                phys.ports[no] = Endpoint("nic", name, physnet=m.physnet)
