"""One node's view of the cloud: everything its flows depend on, resolved to port numbers.

The controller builds a NodeView from the cloud, the node's local VLANs and the port numbers
its bridges reported (name -> ofport); the flow families in br_int.py and br_tun.py read only
the view. A port the bridge has not reported yet (a VM not plugged, a tunnel not created)
simply has no flows until it appears.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from cloud.model import Cloud, Network, Node, Port
from cloud.naming import PATCH_INT, PATCH_TUN, tap_name
from flows.tunnels import TunnelSpec, desired_tunnels


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
class Tunnel:
    spec: TunnelSpec
    ofport: int


@dataclass(frozen=True)
class NodeView:
    node: Node
    networks: tuple[LocalNetwork, ...]
    ports: tuple[LocalPort, ...]       # ports of this node plugged into br-int
    patch_tun: int | None              # ofport of patch-tun on br-int
    patch_int: int | None              # ofport of patch-int on br-tun
    tunnels: tuple[Tunnel, ...]        # desired tunnel ports that br-tun has reported

    def ports_in(self, vlan: int) -> tuple[LocalPort, ...]:
        return tuple(p for p in self.ports if p.vlan == vlan)

    def flood_tunnels(self, network: Network) -> tuple[Tunnel, ...]:
        """Tunnels a broadcast of this network goes to: every tunnel of the network's type."""
        return tuple(t for t in self.tunnels if t.spec.type == network.type)


def build_view(cloud: Cloud, node_name: str, local_vlans: Mapping[str, int],
               int_ports: Mapping[str, int], tun_ports: Mapping[str, int]) -> NodeView:
    """local_vlans: network id -> VLAN; int_ports/tun_ports: port name -> ofport per bridge."""
    networks = tuple(LocalNetwork(net, local_vlans[net.id])
                     for net in cloud.networks_on(node_name))
    ports = tuple(LocalPort(p, int_ports[tap_name(p.id)], local_vlans[p.network_id])
                  for p in cloud.ports_on(node_name) if tap_name(p.id) in int_ports)
    tunnels = tuple(Tunnel(spec, tun_ports[name])
                    for name, spec in sorted(desired_tunnels(cloud, node_name).items())
                    if name in tun_ports)
    return NodeView(node=cloud.node(node_name), networks=networks, ports=ports,
                    patch_tun=int_ports.get(PATCH_TUN), patch_int=tun_ports.get(PATCH_INT),
                    tunnels=tunnels)
