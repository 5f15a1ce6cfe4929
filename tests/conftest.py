import copy
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "clouds", "seed.yaml")


LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml where there is one
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_SEED_RAW = []


@pytest.fixture
def seed_raw():
    """The seed cloud as a plain mapping (a fresh copy), to mutate into bad variants."""
    if not _SEED_RAW:
        with open(SEED) as fh:
            _SEED_RAW.append(yaml.load(fh, Loader=LOADER))  # noqa: S506 - a SafeLoader
    return copy.deepcopy(_SEED_RAW[0])


@pytest.fixture
def seed_cloud():
    from cloud import schema
    return schema.load(SEED)


@pytest.fixture
def views(seed_cloud):
    """Each seed node's view with every port plugged (simulated port numbers)."""
    from flows import cloudsim
    return {n.name: cloudsim.node_view(seed_cloud, n.name) for n in seed_cloud.nodes}


# Seed 003's shape beside the seed's tunnels: physnet1 on br-eth1 (NIC eth3) of every node,
# TenantD-Net (VLAN 101, DHCP, routed by TenantC-R1 to TenantC-Net) on both computes,
# TenantE-Net (VLAN 102, TenantD's addresses) on compute2, TenantF-Net flat on both.
PROVIDER = {
    "physical_networks": [{"name": "physnet1", "vlan_ranges": "100:199"}],
    "networks": [
        {"id": "d4d4d4d4-1010-4d4d-8d4d-000000000101", "name": "TenantD-Net", "type": "vlan",
         "physical_network": "physnet1", "segmentation_id": 101,
         "subnets": [{"name": "TenantD-Subnet", "cidr": "10.0.4.0/24",
                      "gateway_ip": "10.0.4.1", "enable_dhcp": True}]},
        {"id": "e5e5e5e5-1020-4e5e-8e5e-000000000102", "name": "TenantE-Net", "type": "vlan",
         "physical_network": "physnet1", "segmentation_id": 102,
         "subnets": [{"name": "TenantE-Subnet", "cidr": "10.0.4.0/24",
                      "gateway_ip": "10.0.4.1"}]},
        {"id": "f6f6f6f6-1030-4f6f-8f6f-000000000000", "name": "TenantF-Net", "type": "flat",
         "physical_network": "physnet1",
         "subnets": [{"name": "TenantF-Subnet", "cidr": "10.0.6.0/24",
                      "gateway_ip": "10.0.6.1"}]},
    ],
    "ports": [
        {"id": "d1d1d1d1-0000-4000-8000-0000000000d1", "name": "vm-d1", "network": "TenantD-Net",
         "node": "compute1", "mac": "fa:16:3e:d0:00:01", "ip": "10.0.4.4"},
        {"id": "d2d2d2d2-0000-4000-8000-0000000000d2", "name": "vm-d2", "network": "TenantD-Net",
         "node": "compute1", "mac": "fa:16:3e:d0:00:02", "ip": "10.0.4.5"},
        {"id": "d3d3d3d3-0000-4000-8000-0000000000d3", "name": "vm-d3", "network": "TenantD-Net",
         "node": "compute2", "mac": "fa:16:3e:d0:00:03", "ip": "10.0.4.6"},
        {"id": "e1e1e1e1-0000-4000-8000-0000000000e1", "name": "vm-e1", "network": "TenantE-Net",
         "node": "compute2", "mac": "fa:16:3e:e0:00:01", "ip": "10.0.4.4"},
        {"id": "f1f1f1f1-0000-4000-8000-0000000000f1", "name": "vm-f1", "network": "TenantF-Net",
         "node": "compute1", "mac": "fa:16:3e:f0:00:01", "ip": "10.0.6.4"},
        {"id": "f2f2f2f2-0000-4000-8000-0000000000f2", "name": "vm-f2", "network": "TenantF-Net",
         "node": "compute2", "mac": "fa:16:3e:f0:00:02", "ip": "10.0.6.5"},
        {"id": "dddddddd-0000-4000-8000-0000000000dd", "name": "dhcp-d", "network": "TenantD-Net",
         "node": "network", "mac": "fa:16:3e:dd:00:0d", "ip": "10.0.4.2",
         "device_owner": "network:dhcp"},
        {"id": "7d7d7d7d-0000-4000-8000-00000000007d", "name": "qr-tenant-d",
         "network": "TenantD-Net", "node": "network", "mac": "fa:16:3e:1d:00:01",
         "ip": "10.0.4.1", "device_owner": "network:router_interface", "router": "TenantC-R1"},
    ],
}


def provider_raw() -> dict:
    """The seed with seed 003's VLAN and flat networks (PROVIDER)."""
    with open(SEED) as fh:
        raw = yaml.load(fh, Loader=LOADER)  # noqa: S506 - a SafeLoader
    raw["physical_networks"] = copy.deepcopy(PROVIDER["physical_networks"])
    for node in raw["nodes"]:
        node["bridge_mappings"] = {"physnet1": {"bridge": "br-eth1", "nic": "eth3"}}
    raw["networks"] += copy.deepcopy(PROVIDER["networks"])
    raw["ports"] += copy.deepcopy(PROVIDER["ports"])
    return raw


@pytest.fixture
def provider_cloud():
    from cloud import schema
    return schema.parse(provider_raw(), "<seed with provider networks>")


@pytest.fixture
def provider_views(provider_cloud):
    from flows import cloudsim
    return {n.name: cloudsim.node_view(provider_cloud, n.name) for n in provider_cloud.nodes}


@pytest.fixture
def learning_cloud(seed_raw):
    """The seed cloud without L2 population: learning and flooding, as Neutron without l2pop."""
    from cloud import schema
    seed_raw["l2_population"] = False
    return schema.parse(seed_raw, "<seed without l2pop>")


def uneven_raw():
    """Five computes, networks spread unevenly: TenantA on compute1-3, TenantB on compute1 and
    compute4, TenantC (VXLAN) alone on compute5; the network node hosts nothing."""
    from cloud import generate
    raw = generate.generate(5, name="uneven")
    raw["networks"].append({"id": "6f0e2c55-7a31-4b8e-9d1c-2a7f3e1b9c40", "name": "TenantC-Net",
                            "type": "vxlan", "segmentation_id": 5002,
                            "subnets": [{"cidr": "10.0.0.0/24"}]})
    placement = {"TenantA-Net": {"compute1", "compute2", "compute3"},
                 "TenantB-Net": {"compute1", "compute4"}}
    raw["ports"] = [p for p in raw["ports"] if p["node"] in placement[p["network"]]]
    raw["ports"].append({"id": "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5", "name": "vm-c1",
                         "network": "TenantC-Net", "node": "compute5",
                         "mac": "fa:16:3e:0c:00:01", "ip": "10.0.0.4"})
    return raw


def dhcp_raw() -> dict:
    """The seed (DHCP on both networks, servers on the network node) with a third compute
    that hosts only TenantB-Net."""
    with open(SEED) as fh:
        raw = yaml.safe_load(fh)
    raw["cloud"] = "dhcp"
    raw["nodes"].append({"name": "compute3", "role": "compute", "management_ip": "192.168.10.13",
                         "tunnel_ip": "192.168.100.13"})
    raw["ports"] += [{"id": "b4b4b4b4-0000-4000-8000-00000000b004", "name": "vm-b4",
                                 "network": "TenantB-Net", "node": "compute3",
                                 "mac": "fa:16:3e:b4:00:04", "ip": "10.0.0.7"}]
    return raw


def variant_raw(kind: str) -> dict:
    """The seed as tier 2 loads it into a real switch: "l2pop" (as it is), "learning"
    (without L2 population) or "dhcp" (dhcp_raw)."""
    with open(SEED) as fh:
        raw = yaml.load(fh, Loader=LOADER)  # noqa: S506 - a SafeLoader
    return {"l2pop": lambda: raw, "learning": lambda: dict(raw, l2_population=False),
            "dhcp": dhcp_raw}[kind]()


@pytest.fixture
def uneven_cloud():
    from cloud import schema
    return schema.parse(uneven_raw(), "<uneven>")


@pytest.fixture
def write_cloud(tmp_path):
    def write(raw, name="cloud.yaml"):
        path = tmp_path / name
        path.write_text(yaml.dump(raw, Dumper=DUMPER, sort_keys=False))
        return str(path)
    return write
