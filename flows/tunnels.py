"""Which tunnel ports a node's br-tun should have.

With L2 population, a node has a tunnel of a type to another node only while the two share a
network of that type; a tunnel no network uses any more is deleted. Without it, every node
keeps a tunnel of each type in use to every other node (the full mesh of Neutron's agent). The
controller creates and deletes the ports through OVSDB to match this set.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cloud.model import Cloud, Network, Node
from cloud.naming import tunnel_port_name


@dataclass(frozen=True)
class TunnelSpec:
    name: str
    type: str
    local_ip: str
    remote_ip: str
    remote_node: str

    def interface_options(self) -> dict[str, str]:
        """OVSDB Interface options, as Neutron sets them (keys from flows, DF bit set)."""
        return {"remote_ip": self.remote_ip, "local_ip": self.local_ip,
                "in_key": "flow", "out_key": "flow", "df_default": "true"}


@lru_cache(maxsize=1 << 16)
def tunnel_spec(kind: str, local: Node, remote: Node) -> TunnelSpec:
    return TunnelSpec(name=tunnel_port_name(kind, remote.tunnel_ip), type=kind,
                      local_ip=str(local.tunnel_ip), remote_ip=str(remote.tunnel_ip),
                      remote_node=remote.name)


def desired_tunnels(cloud: Cloud, node_name: str) -> dict[str, TunnelSpec]:
    """Tunnel ports of node_name's br-tun, by port name."""
    local = cloud.node(node_name)
    if cloud.l2_population:
        pairs = {(host, net.type) for net in cloud.networks_on(node_name) if net.tunnelled
                 for host in cloud.hosts_of(net.id) if host != node_name}
    else:
        pairs = {(remote.name, kind) for remote in cloud.nodes if remote.name != node_name
                 for kind in cloud.tunnel_types()}
    specs = (tunnel_spec(kind, local, cloud.node(remote)) for remote, kind in pairs)
    return {spec.name: spec for spec in sorted(specs, key=lambda s: s.name)}


def network_tunnels(cloud: Cloud, node_name: str, network: Network) -> dict[str, TunnelSpec]:
    """The tunnels of node_name that carry `network` (a subset of desired_tunnels; none for
    a VLAN or flat network)."""
    if not network.tunnelled:
        return {}
    local = cloud.node(node_name)
    remotes = cloud.hosts_of(network.id) if cloud.l2_population else \
        tuple(n.name for n in cloud.nodes)
    specs = (tunnel_spec(network.type, local, cloud.node(r)) for r in remotes if r != node_name)
    return {spec.name: spec for spec in specs}
