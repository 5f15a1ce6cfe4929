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
