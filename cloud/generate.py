"""The seed cloud's shape scaled to N compute nodes.

    python -m cloud.generate --computes 16 -o /tmp/c16.yaml

Same plan as clouds/seed.yaml: a network node, computes numbered from 1 (management
192.168.10.10+i, tunnel 192.168.100.10+i), TenantA-Net (VXLAN 5000) and TenantB-Net (GRE 5001)
both on 10.0.0.0/24; compute1 hosts two VMs of each network (walk 1), every other compute one
of each. With --computes 2 the nodes, networks and addresses are the seed's.
"""
from __future__ import annotations

import argparse
import copy
import sys
import uuid

import yaml

NETWORKS = [
    {"id": "84191af8-269f-485a-b394-85d79e53a39a", "name": "TenantA-Net", "type": "vxlan",
     "segmentation_id": 5000, "subnets": [{"cidr": "10.0.0.0/24", "gateway_ip": "10.0.0.1"}]},
    {"id": "4b9ccec6-0d8c-496c-bad3-a26ce01af708", "name": "TenantB-Net", "type": "gre",
     "segmentation_id": 5001, "subnets": [{"cidr": "10.0.0.0/24", "gateway_ip": "10.0.0.1"}]},
]
MAX_COMPUTES = 200


def _port_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"neutron-overlay:port:{name}"))


PHYSNET = {"name": "physnet1", "vlan_ranges": "100:199"}
MAPPING = {"physnet1": {"bridge": "br-eth1", "nic": "eth3"}}


def generate(computes: int, name: str | None = None, physnet: bool = False) -> dict:
    """With `physnet`, every node also maps the seed's physnet1 (br-eth1, NIC eth3), where
    VLAN and flat networks can be created."""
    if not 1 <= computes <= MAX_COMPUTES:
        raise ValueError(f"--computes must be 1..{MAX_COMPUTES}, got {computes}")
    nodes = [{"name": "network", "role": "network", "management_ip": "192.168.10.10",
              "tunnel_ip": "192.168.100.10"}]
    nodes += [{"name": f"compute{i}", "role": "compute", "management_ip": f"192.168.10.{10 + i}",
               "tunnel_ip": f"192.168.100.{10 + i}"} for i in range(1, computes + 1)]
    placement = ["compute1", "compute1"] + [f"compute{i}" for i in range(2, computes + 1)]
    ports = []
    for net_index, (letter, net) in enumerate(zip("ab", NETWORKS, strict=True)):
        for k, node in enumerate(placement, start=1):
            port_name = f"vm-{letter}{k}"
            ports.append({"id": _port_id(port_name), "name": port_name, "network": net["name"],
                          "node": node, "mac": "fa:16:3e:%02x:%02x:%02x" % (0xA + net_index,
                                                                           k >> 8, k & 0xFF),
                          "ip": f"10.0.0.{3 + k}"})
    raw = {"cloud": name or f"c{computes}",
           "management": {"cidr": "192.168.10.0/24", "controller": "192.168.10.1",
                          "controller_port": 6653},
           "data": {"cidr": "192.168.100.0/24"},
           "nodes": nodes, "networks": copy.deepcopy(NETWORKS), "ports": ports}
    if physnet:
        raw["physical_networks"] = [dict(PHYSNET)]
        for node in nodes:
            node["bridge_mappings"] = copy.deepcopy(MAPPING)
    return raw


def dump(raw: dict) -> str:
    return yaml.safe_dump(raw, sort_keys=False, default_flow_style=None, width=100)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="write the seed shape scaled to N computes")
    parser.add_argument("--computes", type=int, required=True)
    parser.add_argument("-o", "--output", default="-")
    args = parser.parse_args(argv)
    try:
        text = dump(generate(args.computes))
    except ValueError as exc:
        parser.error(str(exc))
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
