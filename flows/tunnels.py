"""Which tunnel ports a node's br-tun should have.

Without L2 population every node keeps a tunnel of each type in use to every other node (the
full mesh of Neutron's agent); the controller creates and deletes the ports through OVSDB to
match this set.
"""
from __future__ import annotations

from dataclasses import dataclass

from cloud.model import Cloud, Node
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


def tunnel_spec(kind: str, local: Node, remote: Node) -> TunnelSpec:
    return TunnelSpec(name=tunnel_port_name(kind, remote.tunnel_ip), type=kind,
                      local_ip=str(local.tunnel_ip), remote_ip=str(remote.tunnel_ip),
                      remote_node=remote.name)


def desired_tunnels(cloud: Cloud, node_name: str) -> dict[str, TunnelSpec]:
    """Tunnel ports of node_name's br-tun, by port name."""
    local = cloud.node(node_name)
    specs = {}
    for remote in cloud.nodes:
        if remote.name == node_name:
            continue
        for kind in cloud.tunnel_types():
            spec = tunnel_spec(kind, local, remote)
            specs[spec.name] = spec
    return specs
