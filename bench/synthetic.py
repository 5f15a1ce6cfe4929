"""Synthetic clouds of any size, as cloud files (dicts the schema validates).

Nodes: one network node (hosts no ports) and N computes. Networks alternate VXLAN and GRE,
each on its own /24 (10.x.y.0/24). Network i's k-th port lands on compute
((i * A + k * B) mod N) + 1 with A and B large primes: computes get about the same share, a
network spans min(ports per network, N) computes, and the networks of a compute share it with
scattered others (so it has many tunnels), as tenants' VMs scatter over a real cloud. Each
network is its own project's, so each project's default security group (its members admit
each other) holds one network's ports, as tenants' groups do.
"""
from __future__ import annotations

import ipaddress
import uuid

from cloud import schema
from cloud.model import Cloud

SMALL_CIDRS = ("192.168.10.0/24", "192.168.100.0/24")   # the seed's, up to 240 computes
LARGE_CIDRS = ("10.200.0.0/16", "10.201.0.0/16")
SCATTER_A, SCATTER_B = 7919, 104729


def _id(kind: str, n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"neutron-overlay:bench:{kind}:{n}"))


def mac(n: int) -> str:
    return "fa:16:3e:%02x:%02x:%02x" % ((n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF)


def network_cidr(i: int) -> ipaddress.IPv4Network:
    return ipaddress.ip_network(f"10.{i // 256}.{i % 256}.0/24")


def project(network: int) -> str:
    return "%032x" % (0xB0000000 + network)


def port_entry(n: int, network: int, k: int, node: str) -> dict:
    """The k-th port of network `network`, globally port number n."""
    return {"id": _id("port", n), "name": f"p{n}", "network": _id("net", network),
            "node": node, "mac": mac(n), "ip": str(network_cidr(network)[10 + k]),
            "project_id": project(network)}


def document(computes: int, networks: int, ports: int, l2pop: bool = True,
             name: str = "bench") -> dict:
    if ports % networks:
        raise ValueError(f"{ports} ports do not spread evenly over {networks} networks")
    per_network = ports // networks
    if per_network > 240:
        raise ValueError("at most 240 ports per network (one /24 each)")
    mgmt, data = (ipaddress.ip_network(c) for c in
                  (SMALL_CIDRS if computes < 240 else LARGE_CIDRS))
    nodes = [{"name": "network" if i == 0 else f"compute{i}",
              "role": "network" if i == 0 else "compute",
              "management_ip": str(mgmt[10 + i]), "tunnel_ip": str(data[10 + i])}
             for i in range(computes + 1)]
    nets = [{"id": _id("net", i), "name": f"net{i}", "type": "vxlan" if i % 2 == 0 else "gre",
             "segmentation_id": 1000 + i, "project_id": project(i),
             "subnets": [{"cidr": str(network_cidr(i)), "gateway_ip": str(network_cidr(i)[1])}]}
            for i in range(networks)]
    port_list = [port_entry(i * per_network + k, i, k,
                            f"compute{(i * SCATTER_A + k * SCATTER_B) % computes + 1}")
                 for i in range(networks) for k in range(per_network)]
    return {"cloud": name, "l2_population": l2pop,
            "management": {"cidr": str(mgmt), "controller": str(mgmt[1]),
                           "controller_port": 6653},
            "data": {"cidr": str(data)}, "nodes": nodes, "networks": nets, "ports": port_list}


def cloud(computes: int, networks: int, ports: int, l2pop: bool = True) -> Cloud:
    return schema.parse(document(computes, networks, ports, l2pop), "synthetic")
