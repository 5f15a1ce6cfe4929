"""What the cloud file's checks say about physical networks, bridge mappings and VLAN and
flat networks, word for word: tests/golden/cloud_faults_phys.txt (as test_cloud_faults.py,
editing the seed's physnet1 and TenantD/E/F-Net)."""
import pytest

from tests.conftest import ROOT
from tests.support import golden
from tests.unit.test_cloud_faults import _both, _drop, _outcome, _set


def _mapping(node: int, value):
    return _set(["nodes", node, "bridge_mappings"], value)


def _physnet2(raw):
    raw["physical_networks"].append({"name": "physnet2"})


CASES = [
    ("provider networks as given", lambda raw: None,
     lambda c: [(n.name, n.type, n.physical_network, n.segmentation_id, n.mtu)
                for n in c.networks[3:]]),
    ("bridge mappings as given", lambda raw: None,
     lambda c: [(m.physnet, m.bridge, m.nic, m.int_patch, m.phy_patch)
                for m in c.node("compute1").bridge_mappings]),
    ("a bridge named br-NIC carries that NIC", _mapping(1, {"physnet1": "br-eth5"}),
     lambda c: c.node("compute1").bridge_mappings),
    ("a long bridge name: patch names cut as Neutron cuts them",
     _mapping(1, {"physnet1": {"bridge": "br-provider1", "nic": "eth3"}}),
     lambda c: [(m.int_patch, m.phy_patch) for m in c.node("compute1").bridge_mappings]),
    ("VLAN id allocated from the range", _drop(["net:TenantD-Net", "segmentation_id"]),
     lambda c: c.networks[3].segmentation_id),
    ("VLAN id allocated past the taken ones", _both(
        _set(["physical_networks", 0, "vlan_ranges"], ["102:102", "110:120"]),
        _drop(["net:TenantD-Net", "segmentation_id"])),
     lambda c: c.networks[3].segmentation_id),
    ("one VLAN id on two physical networks", _both(
        _physnet2, lambda raw: [n.update(bridge_mappings={
            "physnet1": {"bridge": "br-eth1", "nic": "eth3"}, "physnet2": "br-eth4"})
            for n in raw["nodes"]],
        _set(["net:TenantE-Net", "physical_network"], "physnet2"),
        _set(["net:TenantE-Net", "segmentation_id"], 101)),
     lambda c: [(n.physical_network, n.segmentation_id) for n in c.networks[3:5]]),
    ("mtu of a VLAN network", _set(["net:TenantD-Net", "mtu"], 1500),
     lambda c: c.networks[3].mtu),
    ("mtu too big for a VLAN network", _set(["net:TenantD-Net", "mtu"], 1501), None),
    ("unknown physical network", _set(["net:TenantD-Net", "physical_network"], "physnet9"),
     None),
    ("VLAN network without a physical network", _drop(["net:TenantD-Net",
                                                        "physical_network"]), None),
    ("physical network on a VXLAN network", _set(["net:TenantA-Net", "physical_network"],
                                                  "physnet1"), None),
    ("VXLAN network without a segmentation id", _drop(["net:TenantA-Net", "segmentation_id"]),
     None),
    ("VLAN id 0", _set(["net:TenantD-Net", "segmentation_id"], 0), None),
    ("VLAN id 4095", _set(["net:TenantD-Net", "segmentation_id"], 4095), None),
    ("VLAN id taken", _set(["net:TenantE-Net", "segmentation_id"], 101), None),
    ("no free VLAN id in the range", _both(
        _set(["physical_networks", 0, "vlan_ranges"], "102:102"),
        _drop(["net:TenantD-Net", "segmentation_id"])), None),
    ("no range and no VLAN id", _both(
        _drop(["physical_networks", 0, "vlan_ranges"]),
        _drop(["net:TenantD-Net", "segmentation_id"])), None),
    ("VLAN range backwards", _set(["physical_networks", 0, "vlan_ranges"], "200:100"), None),
    ("VLAN range past 4094", _set(["physical_networks", 0, "vlan_ranges"], "4000:4095"), None),
    ("VLAN range not a range", _set(["physical_networks", 0, "vlan_ranges"], "100-200"), None),
    ("two flat networks on one physical network", _both(
        _set(["net:TenantE-Net", "type"], "flat"), _drop(["net:TenantE-Net",
                                                          "segmentation_id"])), None),
    ("flat network with a segmentation id", _set(["net:TenantF-Net", "segmentation_id"], 7),
     None),
    ("physical network named external", _set(["physical_networks", 0, "name"], "external"),
     None),
    ("physical network twice", lambda raw: raw["physical_networks"].append(
        {"name": "physnet1"}), None),
    ("physical network name with a space", _set(["physical_networks", 0, "name"], "phys 1"),
     None),
    ("node without the mapping hosts a VLAN network's port", _drop(["nodes", 2,
                                                                    "bridge_mappings"]), None),
    ("mapping of an unknown physical network", _mapping(1, {"physnet7": "br-eth7"}), None),
    ("mapping onto br-int", _mapping(1, {"physnet1": "br-int"}), None),
    ("mapping onto the data NIC", _mapping(1, {"physnet1": {"bridge": "br-eth1",
                                                            "nic": "eth1"}}), None),
    ("bridge that is not br-NIC, no NIC", _mapping(1, {"physnet1": "ovsbr1"}), None),
    ("bridge name too long", _mapping(1, {"physnet1": "br-a-very-long-one"}), None),
    ("mapping with an unknown key", _mapping(1, {"physnet1": {"bridge": "br-eth1",
                                                              "port": "eth3"}}), None),
    ("two physical networks on one bridge", _both(_physnet2, _mapping(1, {
        "physnet1": {"bridge": "br-eth1", "nic": "eth3"},
        "physnet2": {"bridge": "br-eth1", "nic": "eth4"}})), None),
    ("bridge mappings not a mapping", _mapping(1, ["physnet1:br-eth1"]), None),
]


@pytest.fixture(autouse=True)
def _at_the_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_cases_are_distinct():
    assert len({c[0] for c in CASES}) == len(CASES)


def test_every_fault_reads_as_recorded():
    text = "".join(f"### {case[0]}\n{_outcome(case)}\n" for case in CASES)
    golden.check("cloud_faults_phys.txt", text, "the cloud file's faults of physical networks")
