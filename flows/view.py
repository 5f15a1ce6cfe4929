"""One node's view of the cloud: everything its flows depend on, resolved to port numbers.

The controller builds a NodeView from the cloud and what it knows of the node's switches
(NodeState: its local VLANs and the port numbers its bridges reported); the flow families in
br_int.py and br_tun.py read only the view. A port the bridge has not reported yet (a VM not
plugged, a tunnel not created) simply has no flows until it appears. Three named
constructors give the three views there are:

    NodeView.of_node(cloud, node, state)                  the whole node
    NodeView.of_network(cloud, node, state, network)      one network: only the flows that
                                                          depend on it (flows/incremental.py)
    NodeView.of_port(cloud, node, state, network, port)   the flows one port's change of the
                                                          network can touch
"""
from __future__ import annotations

import ipaddress
import weakref
from dataclasses import dataclass, field
from collections.abc import Mapping

from cloud.model import (OWNER_DHCP, BridgeMapping, Cloud, Network, Node, Port,
                         SecurityGroup)
from cloud.naming import PATCH_INT, PATCH_TUN
from flows.fw_rules import conjunction_blocks
from flows.tunnels import TunnelSpec, desired_tunnels, network_tunnels


@dataclass(frozen=True)
class NodeState:
    """What the controller knows of a node's switches: local VLANs, port numbers."""
    vlans: Mapping[str, int]                                      # network id -> VLAN
    int_ports: Mapping[str, int] = field(default_factory=dict)   # br-int: name -> ofport
    tun_ports: Mapping[str, int] = field(default_factory=dict)   # br-tun: name -> ofport
    phys_ports: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    # (the other bridges' (br-ex, each physical bridge): bridge -> name -> ofport)


@dataclass(frozen=True)
class LocalNetwork:
    network: Network
    vlan: int


@dataclass(frozen=True)
class LocalPort:
    port: Port
    ofport: int
    vlan: int


@dataclass(frozen=True)
class PhysicalBridge:
    """A bridge mapping of this node with its patch ports' numbers (None: not reported)."""
    mapping: BridgeMapping
    int_ofport: int | None    # int-br-ethN on br-int
    phy_ofport: int | None    # phy-br-ethN on br-ethN


@dataclass(frozen=True)
class Tunnel:
    spec: TunnelSpec
    ofport: int


@dataclass(frozen=True)
class RemotePort:
    """A port of a network present here, on another node: its MAC and IPs are known (l2pop)."""
    port: Port
    vlan: int        # this node's local VLAN of the port's network
    tunnel: Tunnel   # to the node that hosts it


_KEPT = "_firewall_security"   # where a cloud keeps its Security


@dataclass(frozen=True)
class Security:
    """What the firewall's flows read of the cloud: its security groups, the conjunction
    id blocks of their remote-group rules, and each group's member addresses."""
    groups: Mapping[str, SecurityGroup]
    blocks: Mapping[tuple, int]
    cloud_ref: weakref.ref = field(repr=False, compare=False)   # (kept on the cloud: no cycle)
    _members: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, cloud: Cloud) -> Security:
        """The cloud's (the same for every node's view of one cloud: built once, with its
        members' addresses computed once; kept on the cloud, so it goes with it)."""
        security = cloud.__dict__.get(_KEPT)
        if security is None:
            security = cls({g.id: g for g in cloud.security_groups},
                           conjunction_blocks(cloud.security_groups), weakref.ref(cloud))
            cloud.__dict__[_KEPT] = security   # (as functools.cached_property keeps values)
        return security

    def groups_of(self, port: Port) -> list[SecurityGroup]:
        return [self.groups[g] for g in port.security_groups]

    def members(self, group_id: str, version: int) -> tuple:
        """(address network, pair MAC or None) of every member of a group, of one IP
        version: fixed IPs and allowed address pairs, as Neutron's remote groups admit."""
        key = (group_id, version)
        if key not in self._members:
            out = {}
            for port in self.cloud_ref().members(group_id):
                for ip in port.ips:
                    if ip.version == version:
                        out.setdefault((ipaddress.ip_network(ip), None), None)
                for pair in port.allowed_address_pairs:
                    if pair.ip.version == version:
                        out.setdefault((pair.ip, pair.mac), None)
            self._members[key] = tuple(sorted(out, key=lambda m: (m[0], m[1] or "")))
        return self._members[key]


@dataclass(frozen=True)
class NodeView:
    node: Node
    l2pop: bool
    networks: tuple[LocalNetwork, ...]
    ports: tuple[LocalPort, ...]       # ports of this node plugged into br-int
    patch_tun: int | None              # ofport of patch-tun on br-int
    patch_int: int | None              # ofport of patch-int on br-tun
    tunnels: tuple[Tunnel, ...]        # desired tunnel ports that br-tun has reported
    security: Security                 # the cloud's security groups, for the firewall
    remote_ports: tuple[RemotePort, ...] = ()
    hosts: tuple[tuple[str, tuple[str, ...]], ...] = ()  # network id -> nodes hosting it
    scope: str | None = None           # a network id: the view holds only that network
    physical: tuple[PhysicalBridge, ...] = ()   # the node's bridge mappings

    def uplink(self, network: Network) -> int | None:
        """br-int's port towards where the network's frames leave the node: patch-tun for a
        tunnelled network, int-br-ethN of its physical network for a VLAN or flat one."""
        if network.tunnelled:
            return self.patch_tun
        bridge = self.physical_of(network.physical_network)
        return bridge.int_ofport if bridge is not None else None

    def physical_of(self, physnet: str | None) -> PhysicalBridge | None:
        return next((b for b in self.physical if b.mapping.physnet == physnet), None)

    def physical_bridge(self, name: str) -> PhysicalBridge:
        return next(b for b in self.physical if b.mapping.bridge == name)

    @property
    def tunnelled(self) -> tuple[LocalNetwork, ...]:
        """The networks br-tun carries."""
        return tuple(n for n in self.networks if n.network.tunnelled)

    def ports_in(self, vlan: int) -> tuple[LocalPort, ...]:
        return tuple(p for p in self.ports if p.vlan == vlan)

    def flood_tunnels(self, network: Network) -> tuple[Tunnel, ...]:
        """Where a broadcast of this network goes: with l2pop, the tunnels to the nodes that
        host the network; without, every tunnel of the network's type."""
        if not self.l2pop:
            return tuple(t for t in self.tunnels if t.spec.type == network.type)
        hosting = dict(self.hosts).get(network.id, ())
        return tuple(t for t in self.tunnels
                     if t.spec.type == network.type and t.spec.remote_node in hosting)


    @classmethod
    def of_node(cls, cloud: Cloud, node: str, state: NodeState) -> NodeView:
        """The whole node: every network it hosts, every flow it needs."""
        return _build(cloud, node, state)

    @classmethod
    def of_network(cls, cloud: Cloud, node: str, state: NodeState, network_id: str
                   ) -> NodeView:
        """One network alone: the families give only the flows that depend on it, none of
        the node's base flows."""
        return _build(cloud, node, state, network_id)

    @classmethod
    def of_port(cls, cloud: Cloud, node: str, state: NodeState, network_id: str,
                port_id: str) -> NodeView:
        """One network, and of its remote ports only `port_id` and its DHCP servers (what
        the network's own flows read): the flows a change of that port can touch."""
        return _build(cloud, node, state, network_id, port_id)


def _build(cloud: Cloud, node_name: str, state: NodeState, scope: str | None = None,
           port: str | None = None) -> NodeView:
    local_vlans, int_ports, tun_ports = state.vlans, state.int_ports, state.tun_ports
    if scope is None:
        networks = tuple(LocalNetwork(net, local_vlans[net.id])
                         for net in cloud.networks_on(node_name))
        local = cloud.ports_on(node_name)
        specs = desired_tunnels(cloud, node_name)
    else:
        net = cloud.network(scope)
        hosted = node_name in cloud.hosts_of(scope)
        networks = (LocalNetwork(net, local_vlans[net.id]),) if hosted else ()
        local = tuple(p for p in cloud.ports_of(scope) if p.node == node_name)
        specs = network_tunnels(cloud, node_name, net)
    ports = tuple(LocalPort(p, int_ports[p.device], local_vlans[p.network_id])
                  for p in local if p.device in int_ports)
    tunnels = tuple(Tunnel(spec, tun_ports[name])
                    for name, spec in sorted(specs.items()) if name in tun_ports)
    remote_ports, hosts = (), ()
    if cloud.l2_population:
        tunnel_to = {(t.spec.remote_node, t.spec.type): t for t in tunnels}
        remote_ports = tuple(
            RemotePort(p, here.vlan, tunnel_to[(p.node, here.network.type)])
            for here in networks for p in cloud.ports_of(here.network.id)
            if p.node != node_name and (p.node, here.network.type) in tunnel_to
            and (port is None or p.id == port or p.device_owner == OWNER_DHCP))
        hosts = tuple((n.network.id, cloud.hosts_of(n.network.id)) for n in networks)
    node = cloud.node(node_name)
    physical = tuple(PhysicalBridge(m, int_ports.get(m.int_patch),
                                    state.phys_ports.get(m.bridge, {}).get(m.phy_patch))
                     for m in node.bridge_mappings)
    return NodeView(node=node, l2pop=cloud.l2_population, networks=networks,
                    ports=ports, patch_tun=int_ports.get(PATCH_TUN),
                    patch_int=tun_ports.get(PATCH_INT), tunnels=tunnels,
                    security=Security.of(cloud), remote_ports=remote_ports, hosts=hosts,
                    scope=scope, physical=physical)
