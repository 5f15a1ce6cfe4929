"""Cloud file validation: each fault gives a message naming the file, the entry and the fault."""
import pytest

from cloud import schema
from cloud.schema import CloudError


def port(raw, name):
    return next(p for p in raw["ports"] if p["name"] == name)


def expect_fault(write_cloud, raw, entry, *words):
    path = write_cloud(raw)
    with pytest.raises(CloudError) as err:
        schema.load(path)
    lines = str(err.value).splitlines()
    hits = [ln for ln in lines if ln.startswith(f"{path}: {entry}") and all(w in ln for w in words)]
    assert hits, f"no fault for {entry} with {words} in:\n{err.value}"
    return lines


def test_seed_cloud_loads(seed_cloud):
    assert [n.name for n in seed_cloud.nodes] == ["network", "compute1", "compute2"]
    assert {n.type for n in seed_cloud.networks} == {"vxlan", "gre", "vlan", "flat"}
    assert len([p for p in seed_cloud.ports if p.is_vm]) == 13
    assert {p.node for p in seed_cloud.ports if not p.is_vm} == {"network"}  # DHCP, qr- ports
    # same CIDR in TenantA and TenantB, on purpose
    assert len({n.cidrs for n in seed_cloud.networks[:2]}) == 1
    assert seed_cloud.network(seed_cloud.ports[0].network_id).mtu == 1450


def test_mtu_per_type(seed_cloud):
    assert {n.type: n.mtu for n in seed_cloud.networks} == {"vxlan": 1450, "gre": 1458,
                                                            "vlan": 1500, "flat": 1500}


def test_duplicate_mac(write_cloud, seed_raw):
    port(seed_raw, "vm-b1")["mac"] = port(seed_raw, "vm-a1")["mac"]
    expect_fault(write_cloud, seed_raw, "ports[3] (vm-b1)", "duplicate MAC", "ports[0] (vm-a1)")


def test_duplicate_ip_in_one_network(write_cloud, seed_raw):
    port(seed_raw, "vm-a2")["ip"] = port(seed_raw, "vm-a1")["ip"]
    expect_fault(write_cloud, seed_raw, "ports[1] (vm-a2)", "duplicate IP 10.0.0.4",
                 "TenantA-Net")


def test_same_ip_in_two_networks_is_fine(seed_cloud):
    a1 = next(p for p in seed_cloud.ports if p.name == "vm-a1")
    b1 = next(p for p in seed_cloud.ports if p.name == "vm-b1")
    assert a1.ips == b1.ips and a1.network_id != b1.network_id


def test_duplicate_port_id(write_cloud, seed_raw):
    port(seed_raw, "vm-b2")["id"] = port(seed_raw, "vm-a2")["id"]
    expect_fault(write_cloud, seed_raw, "ports[4] (vm-b2)", "duplicate port id")


def test_device_name_collision(write_cloud, seed_raw):
    a1 = port(seed_raw, "vm-a1")["id"]
    port(seed_raw, "vm-b2")["id"] = a1[:11] + "f" + a1[12:]
    expect_fault(write_cloud, seed_raw, "ports[4] (vm-b2)", "device name tap974a43e3-90")


def test_ip_outside_cidr(write_cloud, seed_raw):
    port(seed_raw, "vm-a3")["ip"] = "10.0.1.6"
    expect_fault(write_cloud, seed_raw, "ports[2] (vm-a3)", "10.0.1.6 is outside", "10.0.0.0/24")


def test_ip_is_broadcast(write_cloud, seed_raw):
    port(seed_raw, "vm-a3")["ip"] = "10.0.0.255"
    expect_fault(write_cloud, seed_raw, "ports[2] (vm-a3)", "broadcast")


@pytest.mark.parametrize("kind,seg", [("vxlan", 0), ("vxlan", 2**24), ("gre", 2**32),
                                      ("gre", -1)])
def test_segmentation_id_out_of_range(write_cloud, seed_raw, kind, seg):
    net = seed_raw["networks"][0]
    net["type"], net["segmentation_id"] = kind, seg
    expect_fault(write_cloud, seed_raw, "networks[0] (TenantA-Net)", f"segmentation_id {seg}",
                 "out of range", kind)


def test_segmentation_id_edges_are_valid(write_cloud, seed_raw):
    seed_raw["networks"][0]["segmentation_id"] = 2**24 - 1
    seed_raw["networks"][1]["segmentation_id"] = 2**32 - 1
    cloud = schema.load(write_cloud(seed_raw))
    assert [n.segmentation_id for n in cloud.networks][:2] == [2**24 - 1, 2**32 - 1]


def test_duplicate_segmentation_id_same_type(write_cloud, seed_raw):
    seed_raw["networks"][1]["type"] = "vxlan"
    seed_raw["networks"][1]["segmentation_id"] = seed_raw["networks"][0]["segmentation_id"]
    expect_fault(write_cloud, seed_raw, "networks[1] (TenantB-Net)",
                 "duplicate vxlan segmentation_id 5000")


def test_unknown_node(write_cloud, seed_raw):
    port(seed_raw, "vm-a3")["node"] = "compute9"
    expect_fault(write_cloud, seed_raw, "ports[2] (vm-a3)", "unknown node 'compute9'")


def test_unknown_network(write_cloud, seed_raw):
    port(seed_raw, "vm-a3")["network"] = "TenantZ-Net"
    expect_fault(write_cloud, seed_raw, "ports[2] (vm-a3)", "unknown network 'TenantZ-Net'")


def test_network_by_id_or_name(write_cloud, seed_raw):
    port(seed_raw, "vm-a3")["network"] = seed_raw["networks"][0]["id"]
    cloud = schema.load(write_cloud(seed_raw))
    assert {p.network_id for p in cloud.ports if p.name.startswith("vm-a")} == \
        {seed_raw["networks"][0]["id"]}


@pytest.mark.parametrize("mac,fault", [("fa:16:3e:zz:00:01", "is not a MAC"),
                                       ("01:00:5e:00:00:01", "not a unicast MAC"),
                                       ("00:00:00:00:00:00", "not a unicast MAC")])
def test_bad_mac(write_cloud, seed_raw, mac, fault):
    port(seed_raw, "vm-a1")["mac"] = mac
    expect_fault(write_cloud, seed_raw, "ports[0] (vm-a1)", fault)


def test_mac_is_normalised(write_cloud, seed_raw):
    port(seed_raw, "vm-a1")["mac"] = "FA-16-3E-EB-06-2D"
    cloud = schema.load(write_cloud(seed_raw))
    assert cloud.ports[0].mac == "fa:16:3e:eb:06:2d"


def test_unknown_key(write_cloud, seed_raw):
    port(seed_raw, "vm-a1")["vlan"] = 5
    expect_fault(write_cloud, seed_raw, "ports[0] (vm-a1)", "unknown key 'vlan'")


def test_unknown_top_level_key(write_cloud, seed_raw):
    seed_raw["firewalls"] = []
    expect_fault(write_cloud, seed_raw, "top level", "unknown key 'firewalls'")


def test_missing_key(write_cloud, seed_raw):
    del seed_raw["nodes"][1]["tunnel_ip"]
    expect_fault(write_cloud, seed_raw, "nodes[1] (compute1)", "missing key 'tunnel_ip'")


def test_tunnel_ip_outside_data_network(write_cloud, seed_raw):
    seed_raw["nodes"][1]["tunnel_ip"] = "192.168.10.50"
    expect_fault(write_cloud, seed_raw, "nodes[1] (compute1)", "tunnel_ip 192.168.10.50",
                 "outside 192.168.100.0/24")


def test_duplicate_node_name_and_ips(write_cloud, seed_raw):
    seed_raw["nodes"][2]["name"] = "compute1"
    seed_raw["nodes"][2]["tunnel_ip"] = seed_raw["nodes"][1]["tunnel_ip"]
    lines = expect_fault(write_cloud, seed_raw, "nodes[2] (compute1)", "duplicate node name")
    assert any("duplicate tunnel_ip" in ln for ln in lines)


def test_vm_on_network_node_rejected(write_cloud, seed_raw):
    port(seed_raw, "vm-a1")["node"] = "network"
    expect_fault(write_cloud, seed_raw, "ports[0] (vm-a1)", "needs a compute node")


def test_wrong_type(write_cloud, seed_raw):
    seed_raw["networks"][0]["segmentation_id"] = "5000"
    expect_fault(write_cloud, seed_raw, "networks[0] (TenantA-Net)", "expected an integer")


def test_bad_tunnel_type(write_cloud, seed_raw):
    seed_raw["networks"][0]["type"] = "geneve"
    expect_fault(write_cloud, seed_raw, "networks[0] (TenantA-Net)", "'geneve' is not one of")


def test_every_fault_reported_at_once(write_cloud, seed_raw):
    port(seed_raw, "vm-a1")["mac"] = "nope"
    port(seed_raw, "vm-a3")["node"] = "compute9"
    with pytest.raises(CloudError) as err:
        schema.load(write_cloud(seed_raw))
    assert len(err.value.faults) == 2


def test_duplicate_yaml_key(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("cloud: a\ncloud: b\n")
    with pytest.raises(CloudError, match=r"dup.yaml: file: not valid YAML: .*duplicate key"):
        schema.load(str(path))


def test_missing_file(tmp_path):
    with pytest.raises(CloudError, match="cannot read"):
        schema.load(str(tmp_path / "nope.yaml"))


def test_not_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(CloudError, match="top level: expected a mapping"):
        schema.load(str(path))


def test_dhcp_needs_exactly_one_dhcp_port(write_cloud, seed_raw):
    seed_raw["ports"] = [p for p in seed_raw["ports"] if p["name"] != "dhcp-a"]
    expect_fault(write_cloud, seed_raw, "network TenantA-Net",
                 "its IPv4 subnet has enable_dhcp: it needs exactly one port with "
                 "device_owner network:dhcp and an address in 10.0.0.0/24 (found 0 of 0")
