"""The cloud file's layer-3 part: external network, routers, router interfaces, floating IPs."""
import pytest

from cloud import schema
from mininet_topos import l3
from tests.unit.test_schema import expect_fault, port


def router(raw, name):
    return next(r for r in raw["routers"] if r["name"] == name)


def test_seed_routers(seed_cloud):
    names = {r.name: r for r in seed_cloud.routers}
    a = names["TenantA-R1"]
    assert a.namespace == "qrouter-45765633-1bd6-41c7-bdfc-7d425818135a"
    assert a.node == "network"  # the first network node, by default
    assert a.gateway.device == "qg-d7e5d255-62"  # seed 000's qg device
    (qr,) = seed_cloud.interfaces_of(a.id)
    assert qr.device == "qr-6defad4c-b2" and str(qr.ips[0]) == "10.0.0.1"
    ((fip, vm),) = seed_cloud.floating_ips_of(a.id)
    assert (str(fip.ip), vm.name) == ("10.1.101.241", "vm-a1")
    assert seed_cloud.floating_ips_of(names["TenantB-R1"].id) == ()


def test_interface_may_hold_the_gateway_ip_a_vm_may_not(write_cloud, seed_raw):
    port(seed_raw, "vm-a3")["ip"] = "10.0.0.1"
    expect_fault(write_cloud, seed_raw, "ports[2] (vm-a3)", "gateway_ip")


def test_interface_needs_a_known_router(write_cloud, seed_raw):
    port(seed_raw, "qr-tenant-a")["router"] = "Nowhere"
    expect_fault(write_cloud, seed_raw, "ports[", "(qr-tenant-a)", "unknown router 'Nowhere'")


def test_router_key_only_on_router_interfaces(write_cloud, seed_raw):
    port(seed_raw, "vm-a3")["router"] = "TenantA-R1"
    expect_fault(write_cloud, seed_raw, "ports[2] (vm-a3)", "only for device_owner")


def test_router_on_a_compute_node(write_cloud, seed_raw):
    router(seed_raw, "TenantA-R1")["node"] = "compute1"
    expect_fault(write_cloud, seed_raw, "routers[0] (TenantA-R1)", "compute node")


def test_overlapping_subnets_on_one_router(write_cloud, seed_raw):
    port(seed_raw, "qr-tenant-b")["router"] = "TenantA-R1"
    expect_fault(write_cloud, seed_raw, "router TenantA-R1", "overlaps the interface")


def test_two_subnets_on_one_router(write_cloud, seed_raw):
    port(seed_raw, "qr-tenant-c")["router"] = "TenantA-R1"
    cloud = schema.load(write_cloud(seed_raw))
    a = next(r for r in cloud.routers if r.name == "TenantA-R1")
    assert {p.name for p in cloud.interfaces_of(a.id)} == {"qr-tenant-a", "qr-tenant-c"}


def test_gateway_address_checks(write_cloud, seed_raw):
    router(seed_raw, "TenantA-R1")["gateway"]["ip"] = "10.1.101.254"
    router(seed_raw, "TenantB-R1")["gateway"]["ip"] = "10.9.0.1"
    router(seed_raw, "TenantC-R1")["gateway"]["mac"] = port(seed_raw, "vm-a1")["mac"]
    lines = expect_fault(write_cloud, seed_raw, "routers[0] (TenantA-R1) gateway",
                         "external network's gateway_ip")
    assert any("10.9.0.1 is outside 10.1.101.0/24" in ln for ln in lines)
    assert any("gateway MAC" in ln and "also a port's" in ln for ln in lines)


def test_gateway_needs_the_external_network(write_cloud, seed_raw):
    del seed_raw["external"]
    del seed_raw["floating_ips"]
    expect_fault(write_cloud, seed_raw, "routers[0] (TenantA-R1)", "needs the top-level "
                 "'external' network")


def test_external_network_faults(write_cloud, seed_raw):
    seed_raw["external"]["cidr"] = "192.168.100.0/24"
    seed_raw["external"]["gateway_ip"] = "192.168.100.254"
    seed_raw["external"]["allocation_pools"] = "192.168.100.240-192.168.100.252"
    expect_fault(write_cloud, seed_raw, "external", "overlaps the data cidr")


@pytest.mark.parametrize("change, words", [
    ({"ip": "10.1.101.240"}, ("already router TenantA-R1's gateway",)),
    ({"port": "dhcp-a"}, ("not a VM port",)),
    ({"port": "vm-b1"}, ("exactly one router with a gateway (found 1)",)),
    ({"port": "nobody"}, ("unknown port 'nobody'",)),
])
def test_floating_ip_faults(write_cloud, seed_raw, change, words):
    seed_raw["floating_ips"][0].update(change)
    if change.get("port") == "vm-b1":  # TenantB-R1 without its gateway: no way out
        del router(seed_raw, "TenantB-R1")["gateway"]
        words = ("exactly one router with a gateway (found 0)",)
    expect_fault(write_cloud, seed_raw, "floating_ips[0]", *words)


def test_nat_rules_of_the_seed_router(seed_cloud):
    a = next(r for r in seed_cloud.routers if r.name == "TenantA-R1")
    rules = l3.nat_rules(seed_cloud, a).splitlines()
    prefix = "neutron-l3-agent-"
    assert f"-A {prefix}PREROUTING -d 10.1.101.241/32 -j DNAT --to-destination 10.0.0.4" \
        in rules
    assert f"-A {prefix}float-snat -s 10.0.0.4/32 -j SNAT --to-source 10.1.101.241" in rules
    assert f"-A {prefix}snat -o qg-d7e5d255-62 -j SNAT --to-source 10.1.101.240" in rules
    # floating IPs are translated before the router's own address
    assert rules.index(f"-A {prefix}snat -j {prefix}float-snat") < \
        rules.index(f"-A {prefix}snat -o qg-d7e5d255-62 -j SNAT --to-source 10.1.101.240")
    devices = l3.desired_devices(seed_cloud, a)
    assert devices["qg-d7e5d255-62"][3] == ("10.1.101.240/24", "10.1.101.241/32")
    assert devices["qr-6defad4c-b2"][:4] == ("br-int", "fa:16:3e:1a:00:01", 1450,
                                             ("10.0.0.1/24",))


def test_router_without_gateway_translates_nothing(write_cloud, seed_raw):
    del router(seed_raw, "TenantC-R1")["gateway"]
    cloud = schema.load(write_cloud(seed_raw))
    c = next(r for r in cloud.routers if r.name == "TenantC-R1")
    assert not [ln for ln in l3.nat_rules(cloud, c).splitlines() if "NAT" in ln]


def test_duplicate_router_id(write_cloud, seed_raw):
    router(seed_raw, "TenantB-R1")["id"] = router(seed_raw, "TenantA-R1")["id"]
    expect_fault(write_cloud, seed_raw, "routers[1] (TenantB-R1)", "duplicate router id",
                 "routers[0] (TenantA-R1)")
