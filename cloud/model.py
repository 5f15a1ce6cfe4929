"""The parsed cloud: nodes, networks and ports as frozen dataclasses.

Everything here is already validated (see cloud.schema); code that receives a Cloud can rely on
every reference resolving and every address being in range.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cached_property

from cloud.naming import DEVICE_ID_LEN
from cloud.meta import DEFAULT_PROJECT as DEFAULT_PROJECT
from cloud.meta import NO_META, IPAddress, IPNetwork, Meta
from cloud.security import AddressPair as AddressPair
from cloud.security import DEFAULT_GROUP as DEFAULT_GROUP
from cloud.security import Rule as Rule
from cloud.security import SecurityGroup
from cloud.physical import BridgeMapping as BridgeMapping
from cloud.physical import Fabric as Fabric
from cloud.physical import Node as Node
from cloud.physical import PhysicalNetwork as PhysicalNetwork

ROLE_COMPUTE = "compute"
ROLE_NETWORK = "network"
ROLES = (ROLE_COMPUTE, ROLE_NETWORK)

TYPE_VXLAN = "vxlan"
TYPE_GRE = "gre"
TUNNEL_TYPES = (TYPE_VXLAN, TYPE_GRE)
TYPE_VLAN = "vlan"     # 802.1Q-tagged on a physical network (seed 003)
TYPE_FLAT = "flat"     # untagged on a physical network
PROVIDER_TYPES = (TYPE_VLAN, TYPE_FLAT)
NETWORK_TYPES = TUNNEL_TYPES + PROVIDER_TYPES

# Largest segmentation id per type: VXLAN's VNI is 24 bits, GRE's key 32 bits, a VLAN id 12
# bits of which 0 and 4095 are reserved (a flat network has none).
SEGMENTATION_MAX = {TYPE_VXLAN: 2**24 - 1, TYPE_GRE: 2**32 - 1, TYPE_VLAN: 4094}

# Encapsulation overhead on a 1500-byte underlay, as Neutron computes it (IPv4 underlay):
# VXLAN = outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14 = 50; GRE = 20 + 8 (key) + 14 = 42.
# A VLAN or flat network's frames are the physical network's own: its whole 1500.
UNDERLAY_MTU = 1500
ENCAP_OVERHEAD = {TYPE_VXLAN: 50, TYPE_GRE: 42, TYPE_VLAN: 0, TYPE_FLAT: 0}

OWNER_COMPUTE_PREFIX = "compute:"
OWNER_DHCP = "network:dhcp"
OWNER_ROUTER_INTERFACE = "network:router_interface"   # a router's qr- port on br-int
OWNER_ROUTER_GATEWAY = "network:router_gateway"       # a router's qg- port on br-ex


IPV6_MODES = ("slaac", "dhcpv6-stateful", "dhcpv6-stateless")



@dataclass(frozen=True)
class Subnet:
    """One IP subnet of a network (at most one per IP version here). With enable_dhcp, an
    IPv4 subnet is served by the network's DHCP port (the qdhcp namespace); IPv6 addresses
    are set in the VMs by the cloud, as from a config drive, in every address mode."""

    id: str
    name: str
    network_id: str
    cidr: IPNetwork
    gateway_ip: IPAddress | None = None
    allocation_pools: tuple[tuple[IPAddress, IPAddress], ...] = ()  # (first, last) each
    enable_dhcp: bool = False
    dns_nameservers: tuple[IPAddress, ...] = ()
    host_routes: tuple[tuple[IPNetwork, IPAddress], ...] = ()  # (destination, nexthop)
    ipv6_address_mode: str | None = None
    ipv6_ra_mode: str | None = None
    meta: Meta = NO_META

    @property
    def version(self) -> int:
        return self.cidr.version


@dataclass(frozen=True)
class Network:
    id: str
    name: str
    type: str
    segmentation_id: int | None        # VNI, GRE key, VLAN id; None for a flat network
    subnets: tuple[Subnet, ...] = ()
    configured_mtu: int | None = None  # None: the largest that fits the underlay
    shared: bool = False
    meta: Meta = NO_META
    physical_network: str | None = None   # a VLAN or flat network's physnet

    @property
    def tunnelled(self) -> bool:
        """Carried between nodes by br-tun's tunnels (else by a physical network)."""
        return self.type in TUNNEL_TYPES

    @property
    def max_mtu(self) -> int:
        """The largest MTU whose tunnelled frames fit the underlay."""
        return UNDERLAY_MTU - ENCAP_OVERHEAD[self.type]

    @property
    def mtu(self) -> int:
        """MTU a port of this network uses (told by DHCP, set on static VMs)."""
        return self.configured_mtu or self.max_mtu

    @property
    def cidrs(self) -> tuple[IPNetwork, ...]:
        return tuple(s.cidr for s in self.subnets)

    def subnet(self, version: int) -> Subnet | None:
        return next((s for s in self.subnets if s.version == version), None)

    def subnet_of(self, ip: IPAddress) -> Subnet | None:
        return next((s for s in self.subnets if ip in s.cidr), None)

    @property
    def enable_dhcp(self) -> bool:
        """IPv4 by DHCP from the network node's qdhcp namespace."""
        v4 = self.subnet(4)
        return v4 is not None and v4.enable_dhcp


@dataclass(frozen=True)
class Port:
    id: str
    name: str
    network_id: str
    node: str | None  # binding:host_id; None: unbound (then in Cloud.unbound, never in flows)
    mac: str  # lower-case, colon separated
    ips: tuple[IPAddress, ...]
    device_owner: str = "compute:nova"
    router_id: str | None = None  # a router interface's router (Neutron's device_id)
    device_id: str = ""
    binding_profile: str = "{}"   # JSON text, kept as given
    meta: Meta = NO_META
    security_groups: tuple[str, ...] = ()     # group ids
    port_security: bool = True                # port_security_enabled
    allowed_address_pairs: tuple[AddressPair, ...] = ()

    @property
    def filtered(self) -> bool:
        """Whether the firewall filters it: a VM's port with port security. Neutron's own
        ports (DHCP, router interfaces) are trusted, never filtered."""
        return self.port_security and self.is_vm

    @property
    def is_vm(self) -> bool:
        """A port a VM plugs into: Nova's (compute:<zone>) or one without an owner yet."""
        return self.device_owner == "" or self.device_owner.startswith(OWNER_COMPUTE_PREFIX)

    @property
    def is_router_interface(self) -> bool:
        return self.device_owner == OWNER_ROUTER_INTERFACE

    @property
    def device(self) -> str:
        """Its device on br-int: qr-<id[:11]> for a router interface, else tap<id[:11]>."""
        return ("qr-" if self.is_router_interface else "tap") + self.id[:DEVICE_ID_LEN]


@dataclass(frozen=True)
class ExternalNetwork:
    """Neutron's router:external network: a flat segment on the network nodes' br-ex, whose
    gateway_ip is the external gateway host (the way to "the internet")."""

    id: str
    name: str
    cidr: ipaddress.IPv4Network
    gateway_ip: ipaddress.IPv4Address
    allocation_pools: tuple[tuple[ipaddress.IPv4Address, ipaddress.IPv4Address], ...] = ()
    mtu: int = UNDERLAY_MTU
    subnet_id: str = ""
    subnet_name: str = ""


@dataclass(frozen=True)
class Gateway:
    """A router's port on the external network: qg-<port id[:11]> on br-ex."""

    port_id: str
    mac: str
    ip: ipaddress.IPv4Address
    enable_snat: bool = True   # False: only floating IPs are translated (ext-gw-mode)

    @property
    def device(self) -> str:
        return "qg-" + self.port_id[:DEVICE_ID_LEN]


@dataclass(frozen=True)
class Router:
    """A legacy (centralized) Neutron router: the qrouter-<id> namespace on a network node,
    with its interfaces (ports with device_owner network:router_interface) and gateway."""

    id: str
    name: str
    node: str
    gateway: Gateway | None = None
    meta: Meta = NO_META

    @property
    def namespace(self) -> str:
        return "qrouter-" + self.id


@dataclass(frozen=True)
class FloatingIP:
    """An external address mapped 1:1 (DNAT in, SNAT out) to a port's fixed IPv4 by the
    router that connects the port's network to the external network."""

    id: str
    ip: ipaddress.IPv4Address
    port_id: str | None = None   # None: unassociated (kept, translating nothing)
    meta: Meta = NO_META


def _group(ports: tuple[Port, ...], attribute: str) -> dict[str, tuple[Port, ...]]:
    """Ports by one attribute, each group in the cloud's port order."""
    groups: dict[str, list[Port]] = {}
    for port in ports:
        groups.setdefault(getattr(port, attribute), []).append(port)
    return {key: tuple(group) for key, group in groups.items()}


@dataclass(frozen=True)
class Cloud:
    name: str
    source: str  # the file it was read from, for messages
    fabric: Fabric
    nodes: tuple[Node, ...]
    networks: tuple[Network, ...]
    ports: tuple[Port, ...]
    l2_population: bool = True
    external: ExternalNetwork | None = None
    routers: tuple[Router, ...] = ()
    floating_ips: tuple[FloatingIP, ...] = ()
    unbound: tuple[Port, ...] = ()  # ports without binding:host_id: no node, no flows
    security_groups: tuple[SecurityGroup, ...] = ()
    physical_networks: tuple[PhysicalNetwork, ...] = ()

    @cached_property
    def _groups(self) -> dict[str, SecurityGroup]:
        return {g.id: g for g in self.security_groups}

    @cached_property
    def _members(self) -> dict[str, tuple[Port, ...]]:
        members: dict[str, list[Port]] = {}
        for port in self.ports:
            for group in port.security_groups:
                members.setdefault(group, []).append(port)
        return {g: tuple(ports) for g, ports in members.items()}

    def security_group(self, group_id: str) -> SecurityGroup:
        return self._groups[group_id]

    @cached_property
    def _referrers(self) -> dict[str, frozenset[str]]:
        """remote group id -> the groups with a rule whose remote group it is."""
        out: dict[str, set[str]] = {}
        for group in self.security_groups:
            for rule in group.rules:
                if rule.remote_group_id:
                    out.setdefault(rule.remote_group_id, set()).add(group.id)
        return {remote: frozenset(ids) for remote, ids in out.items()}

    def referring(self, group_ids) -> set[str]:
        """The groups with a rule whose remote group is one of `group_ids`."""
        return set().union(*(self._referrers.get(g, ()) for g in group_ids))

    def members(self, group_id: str) -> tuple[Port, ...]:
        """The bound ports of a security group (its remote-group rules admit their
        addresses; an unbound port sends nothing)."""
        return self._members.get(group_id, ())

    @cached_property
    def _nodes(self) -> dict[str, Node]:
        return {n.name: n for n in self.nodes}

    @cached_property
    def _networks(self) -> dict[str, Network]:
        return {n.id: n for n in self.networks}

    @cached_property
    def _ports_by_node(self) -> dict[str, tuple[Port, ...]]:
        return _group(self.ports, "node")

    @cached_property
    def _ports_by_network(self) -> dict[str, tuple[Port, ...]]:
        return _group(self.ports, "network_id")

    @cached_property
    def _ports_by_id(self) -> dict[str, Port]:
        return {p.id: p for p in self.ports}

    @cached_property
    def _node_order(self) -> dict[str, int]:
        return {n.name: i for i, n in enumerate(self.nodes)}

    def node(self, name: str) -> Node:
        return self._nodes[name]

    @cached_property
    def _unbound_by_id(self) -> dict[str, Port]:
        return {p.id: p for p in self.unbound}

    def network(self, network_id: str) -> Network:
        return self._networks[network_id]

    def port(self, port_id: str) -> Port:
        """A bound port."""
        return self._ports_by_id[port_id]

    def any_port(self, port_id: str) -> Port:
        """A port, bound or not."""
        port = self._ports_by_id.get(port_id)
        return port if port is not None else self._unbound_by_id[port_id]

    def find_port(self, port_id: str) -> Port | None:
        """A port, bound or not, or None."""
        return self._ports_by_id.get(port_id) or self._unbound_by_id.get(port_id)

    def subnet(self, subnet_id: str) -> Subnet | None:
        return next((s for n in self.networks for s in n.subnets if s.id == subnet_id), None)

    def interfaces_of(self, router_id: str) -> tuple[Port, ...]:
        return tuple(p for p in self.ports if p.router_id == router_id)

    def routers_of(self, network_id: str) -> tuple[Router, ...]:
        """Routers with an interface on the network."""
        on = {p.router_id for p in self.ports if p.network_id == network_id and p.router_id}
        return tuple(r for r in self.routers if r.id in on)

    def gateway_router(self, network_id: str) -> Router | None:
        """The router that connects the network to the external network (a floating IP's)."""
        return next((r for r in self.routers_of(network_id) if r.gateway is not None), None)

    def floating_ips_of(self, router_id: str) -> tuple[tuple[FloatingIP, Port], ...]:
        """The router's floating IPs with their ports (schema checks that exactly one router
        with a gateway connects each floating IP's port)."""
        pairs = ((fip, self.any_port(fip.port_id)) for fip in self.floating_ips
                 if fip.port_id is not None)
        return tuple((fip, port) for fip, port in pairs
                     if (r := self.gateway_router(port.network_id)) and r.id == router_id)

    def node_by_management_ip(self, ip: str) -> Node | None:
        for node in self.nodes:
            if str(node.management_ip) == ip:
                return node
        return None

    def ports_on(self, node: str) -> tuple[Port, ...]:
        return self._ports_by_node.get(node, ())

    def ports_of(self, network_id: str) -> tuple[Port, ...]:
        return self._ports_by_network.get(network_id, ())

    def networks_on(self, node: str) -> tuple[Network, ...]:
        """Networks with at least one port on the node, in the order the cloud declares them."""
        present = {p.network_id for p in self.ports_on(node)}
        return tuple(n for n in self.networks if n.id in present)

    def hosts_of(self, network_id: str) -> tuple[str, ...]:
        """Nodes with at least one port of the network, in the cloud's node order."""
        hosting = {p.node for p in self.ports_of(network_id)}
        return tuple(sorted(hosting, key=self._node_order.__getitem__))

    def tunnel_types(self) -> tuple[str, ...]:
        """Tunnel types some network of the cloud uses, in a stable order."""
        used = {n.type for n in self.networks}
        return tuple(t for t in TUNNEL_TYPES if t in used)
