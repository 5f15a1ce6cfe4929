"""Routers and floating IPs through the REST API (no switch): Neutron's L3 verbs, and each
refusal changes nothing."""
from tests.unit.test_api import call, refused

EXT = "8583f2ba-37da-4fa0-b312-f9b0979a4fea"
R_A = "45765633-1bd6-41c7-bdfc-7d425818135a"
R_C = "2f8d4a6c-9e1b-4d3a-8c7f-5b2e9d1a4c6e"


def subnet_of(api, network_name):
    nets = {n["name"]: n for n in call(api, "GET", "/networks")[1]["networks"]}
    return nets[network_name]["subnets"][0]


def test_external_network_is_listed(api):
    nets = {n["name"]: n for n in call(api, "GET", "/networks")[1]["networks"]}
    assert nets["Ext-Net"]["router:external"] is True and nets["Ext-Net"]["id"] == EXT
    assert nets["TenantA-Net"]["router:external"] is False
    (sub,) = [s for s in call(api, "GET", "/subnets")[1]["subnets"] if s["network_id"] == EXT]
    assert sub["gateway_ip"] == "10.1.101.254" and sub["allocation_pools"] == [
        {"start": "10.1.101.240", "end": "10.1.101.252"}]


def test_seed_routers_and_floating_ip(api):
    routers = {r["name"]: r for r in call(api, "GET", "/routers")[1]["routers"]}
    gw = routers["TenantA-R1"]["external_gateway_info"]
    assert gw["network_id"] == EXT and gw["external_fixed_ips"][0]["ip_address"] == \
        "10.1.101.240"
    (fip,) = call(api, "GET", "/floatingips")[1]["floatingips"]
    assert (fip["floating_ip_address"], fip["fixed_ip_address"], fip["router_id"]) == \
        ("10.1.101.241", "10.0.0.4", R_A)


def test_router_create_gateway_interface_floating_ip(api):
    code, r = call(api, "POST", "/routers", {"router": {
        "name": "R2", "external_gateway_info": {"network_id": EXT}}})
    assert code == 201
    ip = r["router"]["external_gateway_info"]["external_fixed_ips"][0]["ip_address"]
    assert ip == "10.1.101.244"  # the first free address of the pool (.240-.243 are taken)
    rid = r["router"]["id"]
    # TenantC's subnet moves from TenantC-R1 to R2
    sub_c = subnet_of(api, "TenantC-Net")
    assert call(api, "PUT", f"/routers/{R_C}/remove_router_interface",
                {"subnet_id": sub_c})[0] == 200
    code, added = call(api, "PUT", f"/routers/{rid}/add_router_interface", {"subnet_id": sub_c})
    assert code == 200 and added["subnet_id"] == sub_c
    port = call(api, "GET", f"/ports/{added['port_id']}")[1]["port"]
    assert port["device_owner"] == "network:router_interface" and port["device_id"] == rid
    assert port["fixed_ips"][0]["ip_address"] == "10.0.2.1"  # the subnet's gateway
    assert port["binding:host_id"] == "network"
    vm_c1 = next(p for p in call(api, "GET", "/ports")[1]["ports"] if p["name"] == "vm-c1")
    code, fip = call(api, "POST", "/floatingips", {"floatingip": {
        "floating_network_id": EXT, "port_id": vm_c1["id"]}})
    assert code == 201 and fip["floatingip"]["router_id"] == rid
    assert fip["floatingip"]["floating_ip_address"] == "10.1.101.245"
    cloud = api.keeper.cloud
    assert {p.name for p in cloud.interfaces_of(rid)} == {port["name"]}


def test_two_subnets_on_one_router(api):
    sub_c = subnet_of(api, "TenantC-Net")
    call(api, "PUT", f"/routers/{R_C}/remove_router_interface", {"subnet_id": sub_c})
    assert call(api, "PUT", f"/routers/{R_A}/add_router_interface",
                {"subnet_id": sub_c})[0] == 200
    assert {p.name.startswith("qr-") for p in api.keeper.cloud.interfaces_of(R_A)} == {True}
    assert len(api.keeper.cloud.interfaces_of(R_A)) == 2


def test_refusals_change_nothing(api):
    sub_b = subnet_of(api, "TenantB-Net")
    sub_c = subnet_of(api, "TenantC-Net")
    # TenantB's gateway 10.0.0.1 is TenantB-R1's interface
    refused(api, "PUT", f"/routers/{R_A}/add_router_interface", {"subnet_id": sub_b}, 400,
            "duplicate IP 10.0.0.1 in network TenantB-Net")
    refused(api, "PUT", f"/routers/{R_A}/add_router_interface", {"subnet_id": sub_c}, 400,
            "10.0.2.1")  # still TenantC-R1's interface: the IP is taken
    refused(api, "DELETE", f"/routers/{R_C}", None, 409, "still has ports")
    # vm-a1's floating IP needs TenantA-R1's gateway and its interface on TenantA-Net
    refused(api, "PUT", f"/routers/{R_A}", {"router": {"external_gateway_info": {}}}, 400,
            "vm-a1's network must be connected to the external network")
    refused(api, "PUT", f"/routers/{R_A}/remove_router_interface",
            {"subnet_id": subnet_of(api, "TenantA-Net")}, 400,
            "vm-a1's network must be connected to the external network")
    qr = next(p for p in api.keeper.cloud.ports if p.name == "qr-tenant-a")
    refused(api, "DELETE", f"/ports/{qr.id}", None, 409, "network:router_interface")
    refused(api, "POST", "/routers", {"router": {"external_gateway_info": {
        "network_id": "84191af8-269f-485a-b394-85d79e53a39a"}}}, 400, "not an external network")
    vm_b1 = next(p for p in api.keeper.cloud.ports if p.name == "vm-b1")
    refused(api, "POST", "/floatingips", {"floatingip": {
        "floating_network_id": EXT, "port_id": vm_b1.id, "floating_ip_address": "10.1.101.241"}},
        400, "already")
    sub_a6 = [s for s in call(api, "GET", "/subnets")[1]["subnets"]
              if s["cidr"] == "fd00::/64"][0]["id"]
    refused(api, "PUT", f"/routers/{R_C}/add_router_interface", {"subnet_id": sub_a6}, 400,
            "IPv4")


def test_overlapping_subnets_never_share_a_router(api):
    sub_b = subnet_of(api, "TenantB-Net")
    call(api, "PUT", "/routers/TenantB-R1/remove_router_interface", {"subnet_id": sub_b})
    # TenantB's 10.0.0.0/24 is TenantA's too: one router cannot route both
    refused(api, "PUT", f"/routers/{R_A}/add_router_interface", {"subnet_id": sub_b}, 400,
            "overlaps the interface on TenantA-Net")


def test_port_delete_takes_its_floating_ip(api):
    vm_a1 = next(p for p in api.keeper.cloud.ports if p.name == "vm-a1")
    assert call(api, "DELETE", f"/ports/{vm_a1.id}")[0] == 204
    assert call(api, "GET", "/floatingips")[1]["floatingips"] == []
