"""The parsed cloud: nodes, networks and ports as frozen dataclasses.

Everything here is already validated (see cloud.schema); code that receives a Cloud can rely on
every reference resolving and every address being in range.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cached_property

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ROLE_COMPUTE = "compute"
ROLE_NETWORK = "network"
ROLES = (ROLE_COMPUTE, ROLE_NETWORK)

TYPE_VXLAN = "vxlan"
TYPE_GRE = "gre"
TUNNEL_TYPES = (TYPE_VXLAN, TYPE_GRE)

# Largest segmentation id per type: VXLAN's VNI is 24 bits, GRE's key 32 bits.
SEGMENTATION_MAX = {TYPE_VXLAN: 2**24 - 1, TYPE_GRE: 2**32 - 1}

# Encapsulation overhead on a 1500-byte underlay, as Neutron computes it (IPv4 underlay):
# VXLAN = outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14 = 50; GRE = 20 + 8 (key) + 14 = 42.
UNDERLAY_MTU = 1500
ENCAP_OVERHEAD = {TYPE_VXLAN: 50, TYPE_GRE: 42}

OWNER_COMPUTE_PREFIX = "compute:"
OWNER_DHCP = "network:dhcp"


@dataclass(frozen=True)
class Fabric:
    """The physical side: management segment (controller + OVSDB) and data segment (tunnels)."""

    management_cidr: ipaddress.IPv4Network
    controller_ip: ipaddress.IPv4Address
    controller_port: int
    data_cidr: ipaddress.IPv4Network


@dataclass(frozen=True)
class Node:
    name: str
    role: str
    management_ip: ipaddress.IPv4Address
    tunnel_ip: ipaddress.IPv4Address


@dataclass(frozen=True)
class Network:
    id: str
    name: str
    type: str
    segmentation_id: int
    cidrs: tuple[IPNetwork, ...]
    gateway_ip: IPAddress | None = None
    allocation_pools: tuple[tuple[IPAddress, IPAddress], ...] = ()  # (first, last) each
    enable_dhcp: bool = False  # IPv4 by DHCP from the network node's qdhcp namespace

    @property
    def mtu(self) -> int:
        """MTU a port of this network must use so tunnelled frames fit the underlay."""
        return UNDERLAY_MTU - ENCAP_OVERHEAD[self.type]


@dataclass(frozen=True)
class Port:
    id: str
    name: str
    network_id: str
    node: str
    mac: str  # lower-case, colon separated
    ips: tuple[IPAddress, ...]
    device_owner: str = "compute:nova"

    @property
    def is_vm(self) -> bool:
        return self.device_owner.startswith(OWNER_COMPUTE_PREFIX)


@dataclass(frozen=True)
class Cloud:
    name: str
    source: str  # the file it was read from, for messages
    fabric: Fabric
    nodes: tuple[Node, ...]
    networks: tuple[Network, ...]
    ports: tuple[Port, ...]
    l2_population: bool = True

    @cached_property
    def _nodes(self) -> dict[str, Node]:
        return {n.name: n for n in self.nodes}

    @cached_property
    def _networks(self) -> dict[str, Network]:
        return {n.id: n for n in self.networks}

    def node(self, name: str) -> Node:
        return self._nodes[name]

    def network(self, network_id: str) -> Network:
        return self._networks[network_id]

    def node_by_management_ip(self, ip: str) -> Node | None:
        for node in self.nodes:
            if str(node.management_ip) == ip:
                return node
        return None

    def ports_on(self, node: str) -> tuple[Port, ...]:
        return tuple(p for p in self.ports if p.node == node)

    def networks_on(self, node: str) -> tuple[Network, ...]:
        """Networks with at least one port on the node, in the order the cloud declares them."""
        present = {p.network_id for p in self.ports if p.node == node}
        return tuple(n for n in self.networks if n.id in present)

    def hosts_of(self, network_id: str) -> tuple[str, ...]:
        """Nodes with at least one port of the network, in the cloud's node order."""
        hosting = {p.node for p in self.ports if p.network_id == network_id}
        return tuple(n.name for n in self.nodes if n.name in hosting)

    def tunnel_types(self) -> tuple[str, ...]:
        """Tunnel types some network of the cloud uses, in a stable order."""
        used = {n.type for n in self.networks}
        return tuple(t for t in TUNNEL_TYPES if t in used)
