"""The emulated agents, as `openstack network agent list` shows Neutron's: an Open vSwitch
agent per node (alive while every bridge it manages is connected to the controller), and on
each network node a DHCP agent and an L3 agent (alive while the network node's agent,
which runs the qdhcp and qrouter namespaces, keeps reading the cloud: its heartbeat).
"""
from __future__ import annotations

import time
import uuid

from cloud.model import OWNER_DHCP, ROLE_NETWORK, Cloud, Node
from cloud.naming import BR_INT, BR_TUN

AGENT_DOWN_TIME = 75.0    # Neutron's agent_down_time: seconds without a heartbeat
ZONE = "nova"
NAMESPACE = uuid.UUID("6f766572-6c61-7920-6167-656e74730000")


def stamp(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


def agent_id(kind: str, host: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{host}"))


class Agents:
    """Heartbeats and start times, as the controller sees them."""

    def __init__(self, clock=time.time):
        self.clock = clock
        self.created = clock()
        self.seen: dict[tuple[str, str], float] = {}     # (kind, host) -> last heartbeat
        self.started: dict[tuple[str, str], float] = {}

    def beat(self, kind: str, host: str) -> None:
        now = self.clock()
        key = (kind, host)
        if key not in self.seen or now - self.seen[key] > AGENT_DOWN_TIME:
            self.started[key] = now
        self.seen[key] = now

    def _agent(self, kind: str, host: str, agent_type: str, binary: str, topic: str,
               zone: str | None, configurations: dict) -> dict:
        seen = self.seen.get((kind, host))
        alive = seen is not None and self.clock() - seen <= AGENT_DOWN_TIME
        return {"id": agent_id(kind, host), "agent_type": agent_type, "binary": binary,
                "topic": topic, "host": host, "admin_state_up": True, "alive": alive,
                "availability_zone": zone, "created_at": stamp(self.created),
                "started_at": stamp(self.started.get((kind, host), self.created)),
                "heartbeat_timestamp": stamp(seen), "description": None,
                "resources_synced": None, "configurations": configurations}

    def views(self, cloud: Cloud, connected) -> list[dict]:
        """Every agent; `connected(node)` says whether all of its bridges are connected."""
        out = []
        for node in cloud.nodes:
            if connected(node.name):
                self.beat("ovs", node.name)
            out.append(self._agent("ovs", node.name, "Open vSwitch agent",
                                   "neutron-openvswitch-agent", "N/A", None,
                                   _ovs_configuration(cloud, node)))
            if node.role == ROLE_NETWORK:
                out.append(self._agent("dhcp", node.name, "DHCP agent", "neutron-dhcp-agent",
                                       "dhcp_agent", ZONE, _dhcp_configuration(cloud, node)))
                out.append(self._agent("l3", node.name, "L3 agent", "neutron-l3-agent",
                                       "l3_agent", ZONE, _l3_configuration(cloud, node)))
        return out


def _ovs_configuration(cloud: Cloud, node: Node) -> dict:
    return {"bridge_mappings": {m.physnet: m.bridge for m in node.bridge_mappings},
            "tunnel_types": list(cloud.tunnel_types()),
            "tunneling_ip": str(node.tunnel_ip), "l2_population": cloud.l2_population,
            "arp_responder_enabled": cloud.l2_population, "datapath_type": "netdev",
            "integration_bridge": BR_INT, "tunnel_bridge": BR_TUN, "ovs_hybrid_plug": False,
            "enable_distributed_routing": False, "devices": len(cloud.ports_on(node.name))}


def _dhcp_configuration(cloud: Cloud, node: Node) -> dict:
    servers = [p for p in cloud.ports_on(node.name) if p.device_owner == OWNER_DHCP]
    nets = [cloud.network(p.network_id) for p in servers]
    return {"dhcp_driver": "neutron.agent.linux.dhcp.Dnsmasq", "networks": len(nets),
            "subnets": sum(1 for n in nets if n.subnet(4)),
            "ports": sum(len(cloud.ports_of(n.id)) for n in nets),
            "dhcp_lease_duration": 86400}


def _l3_configuration(cloud: Cloud, node: Node) -> dict:
    routers = [r for r in cloud.routers if r.node == node.name]
    return {"agent_mode": "legacy", "routers": len(routers),
            "interfaces": sum(len(cloud.interfaces_of(r.id)) for r in routers),
            "floating_ips": sum(len(cloud.floating_ips_of(r.id)) for r in routers),
            "ex_gw_ports": sum(1 for r in routers if r.gateway is not None),
            "gateway_external_network_id": cloud.external.id if cloud.external else ""}
