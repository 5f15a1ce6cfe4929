"""Routers and floating IPs through the REST API (no switch): Neutron's L3 verbs, floating
IPs that live on unassociated, and refusals that change nothing."""
from cloud.model import DEFAULT_PROJECT
from tests.support.apicall import call, get, refused
from tests.support.bad_requests import EXT, NET_B, R_A, R_C, SUB_C4, VM_A1, VM_C1

R_B = "165f931b-4e08-46eb-a048-f8c62b72b48e"


def subnet_of(api, network_id):
    return next(s["id"] for s in get(api, "/subnets")["subnets"]
                if s["network_id"] == network_id and s["ip_version"] == 4)


def test_external_network_is_listed(api):
    nets = {n["name"]: n for n in get(api, "/networks")["networks"]}
    assert nets["Ext-Net"]["router:external"] is True and nets["Ext-Net"]["id"] == EXT
    assert nets["TenantA-Net"]["router:external"] is False
    (sub,) = get(api, f"/subnets?network_id={EXT}")["subnets"]
    assert sub["gateway_ip"] == "10.1.101.254" and sub["allocation_pools"] == [
        {"start": "10.1.101.240", "end": "10.1.101.252"}]


def test_seed_routers_and_floating_ip(api):
    routers = {r["name"]: r for r in get(api, "/routers")["routers"]}
    gw = routers["TenantA-R1"]["external_gateway_info"]
    assert gw["network_id"] == EXT and gw["enable_snat"] is True
    assert gw["external_fixed_ips"][0]["ip_address"] == "10.1.101.240"
    (fip,) = get(api, "/floatingips")["floatingips"]
    assert (fip["floating_ip_address"], fip["fixed_ip_address"], fip["router_id"],
            fip["status"]) == ("10.1.101.241", "10.0.0.4", R_A, "ACTIVE")


def test_router_create_gateway_interface_floating_ip(api):
    code, r = call(api, "POST", "/routers", {"router": {
        "name": "R2", "external_gateway_info": {"network_id": EXT, "enable_snat": False}}})
    assert code == 201
    gw = r["router"]["external_gateway_info"]
    assert gw["external_fixed_ips"][0]["ip_address"] == "10.1.101.244"  # first free
    assert gw["enable_snat"] is False
    rid = r["router"]["id"]
    assert call(api, "PUT", f"/routers/{R_C}/remove_router_interface",
                {"subnet_id": SUB_C4})[0] == 200
    code, added = call(api, "PUT", f"/routers/{rid}/add_router_interface",
                       {"subnet_id": SUB_C4})
    assert code == 200 and added["subnet_id"] == SUB_C4 and added["subnet_ids"] == [SUB_C4]
    port = get(api, f"/ports/{added['port_id']}")["port"]
    assert port["device_owner"] == "network:router_interface" and port["device_id"] == rid
    assert port["fixed_ips"][0]["ip_address"] == "10.0.2.1"  # the subnet's gateway
    assert port["binding:host_id"] == "network"
    code, fip = call(api, "POST", "/floatingips", {"floatingip": {
        "floating_network_id": EXT, "port_id": VM_C1}})
    assert code == 201 and fip["floatingip"]["router_id"] == rid
    assert fip["floatingip"]["floating_ip_address"] == "10.1.101.245"
    # snat back on: same port, same address
    code, r = call(api, "PUT", f"/routers/{rid}", {"router": {
        "external_gateway_info": {"network_id": EXT}}})
    assert r["router"]["external_gateway_info"] == dict(gw, enable_snat=True)


def test_interface_from_a_port(api):
    net = call(api, "POST", "/networks", {"network": {"name": "d"}})[1]["network"]
    call(api, "POST", "/subnets", {"subnet": {"network_id": net["id"], "cidr": "10.4.0.0/24",
                                              "enable_dhcp": False}})
    port = call(api, "POST", "/ports", {"port": {"network_id": net["id"], "fixed_ips": [
        {"ip_address": "10.4.0.254"}]}})[1]["port"]
    code, info = call(api, "PUT", f"/routers/{R_C}/add_router_interface",
                      {"port_id": port["id"]})
    assert code == 200 and info["port_id"] == port["id"]
    now = get(api, f"/ports/{port['id']}")["port"]
    assert (now["device_owner"], now["device_id"], now["binding:host_id"]) == \
        ("network:router_interface", R_C, "network")


def test_two_subnets_on_one_router(api):
    call(api, "PUT", f"/routers/{R_C}/remove_router_interface", {"subnet_id": SUB_C4})
    assert call(api, "PUT", f"/routers/{R_A}/add_router_interface",
                {"subnet_id": SUB_C4})[0] == 200
    assert len(api.keeper.cloud.interfaces_of(R_A)) == 2


def test_gateway_taken_by_another_router(api):
    """TenantB's gateway 10.0.0.1 is TenantB-R1's interface: TenantC-R1 cannot take it."""
    refused(api, "PUT", f"/routers/{R_C}/add_router_interface",
            {"subnet_id": subnet_of(api, NET_B)}, 409, "IP address 10.0.0.1 already allocated")


def test_overlapping_subnets_never_share_a_router(api):
    sub_b = subnet_of(api, NET_B)
    call(api, "PUT", f"/routers/{R_B}/remove_router_interface", {"subnet_id": sub_b})
    # TenantB's 10.0.0.0/24 is TenantA's too: one router cannot route both
    refused(api, "PUT", f"/routers/{R_A}/add_router_interface", {"subnet_id": sub_b}, 400,
            "overlaps the interface on TenantA-Net")


def test_floating_ip_lives_unassociated(api):
    (fip,) = get(api, "/floatingips")["floatingips"]
    # deleting the port keeps the floating IP, unassociated (as Neutron)
    assert call(api, "DELETE", f"/ports/{VM_A1}")[0] == 204
    kept = get(api, f"/floatingips/{fip['id']}")["floatingip"]
    assert (kept["port_id"], kept["fixed_ip_address"], kept["router_id"], kept["status"]) == \
        (None, None, None, "DOWN")
    assert kept["revision_number"] == fip["revision_number"] + 1
    # associate it with another port, then disassociate
    code, moved = call(api, "PUT", f"/floatingips/{fip['id']}", {"floatingip": {
        "port_id": VM_C1}})
    assert code == 200 and moved["floatingip"]["router_id"] == R_C
    assert call(api, "PUT", f"/floatingips/{fip['id']}", {"floatingip": {
        "port_id": None}})[1]["floatingip"]["port_id"] is None
    # created unassociated, with an address asked for
    code, new = call(api, "POST", "/floatingips", {"floatingip": {
        "floating_network_id": EXT, "floating_ip_address": "10.1.101.250",
        "description": "spare"}})
    assert code == 201 and new["floatingip"]["status"] == "DOWN"
    assert call(api, "DELETE", f"/floatingips/{new['floatingip']['id']}")[0] == 204


def test_interface_removal_by_port_and_its_refusals(api):
    qr_c = next(p for p in get(api, f"/ports?device_id={R_C}")["ports"]
                if p["device_owner"] == "network:router_interface")
    refused(api, "PUT", f"/routers/{R_A}/remove_router_interface", {"port_id": qr_c["id"]},
            404, f"Router {R_A} does not have an interface with id {qr_c['id']}")
    refused(api, "PUT", f"/routers/{R_C}/remove_router_interface", {}, 400,
            "Either subnet_id or port_id must be specified")
    code, info = call(api, "PUT", f"/routers/{R_C}/remove_router_interface",
                      {"port_id": qr_c["id"]})
    assert code == 200 and info == {
        "id": R_C, "subnet_id": SUB_C4, "subnet_ids": [SUB_C4], "port_id": qr_c["id"],
        "network_id": qr_c["network_id"], "tenant_id": DEFAULT_PROJECT,
        "project_id": DEFAULT_PROJECT}
    assert call(api, "GET", f"/ports/{qr_c['id']}")[0] == 404
    refused(api, "PUT", f"/routers/{R_C}/remove_router_interface", {"subnet_id": SUB_C4},
            404, f"Router {R_C} has no interface on subnet {SUB_C4}")
    qr_d = next(p for p in get(api, f"/ports?device_id={R_C}")["ports"]
                if p["device_owner"] == "network:router_interface")   # (TenantD-Net's)
    assert call(api, "DELETE", f"/routers/{R_C}")[0] == 409
    assert call(api, "PUT", f"/routers/{R_C}/remove_router_interface",
                {"port_id": qr_d["id"]})[0] == 200
    assert call(api, "DELETE", f"/routers/{R_C}") == (204, None)


def test_gateway_with_a_chosen_address_and_bad_gateway_info(api):
    code, r = call(api, "POST", "/routers", {"router": {"external_gateway_info": {
        "network_id": EXT, "external_fixed_ips": [{"ip_address": "10.1.101.251"}]}}})
    assert code == 201
    assert r["router"]["external_gateway_info"]["external_fixed_ips"][0]["ip_address"] == \
        "10.1.101.251"
    for info, fragment in (({"enable_snat": False}, "network_id is missing"),
                           ({"network_id": EXT, "colour": 1}, "unexpected key(s) colour"),
                           ({"network_id": EXT, "enable_snat": "maybe"},
                            "'maybe' cannot be converted to boolean"),
                           ({"network_id": EXT, "external_fixed_ips": [{}, {}]},
                            "at most one"),
                           ({"network_id": EXT, "external_fixed_ips": [
                               {"ip_address": "10.1.101.240"}]},
                            "IP address 10.1.101.240 already allocated")):
        status = 409 if "already" in fragment else 400
        refused(api, "POST", "/routers", {"router": {"external_gateway_info": info}}, status,
                fragment)


def test_a_router_gateway_port_is_active_once_its_qg_device_is_on_br_ex(api):
    """The qg port's status follows its device on the network node's br-ex, as a VM port's
    follows its tap on br-int."""
    gw = get(api, f"/ports?device_owner=network:router_gateway&device_id={R_A}")["ports"][0]
    assert gw["status"] == "DOWN" and gw["binding:host_id"] == "network"
    api.runtime.devices.add(("network", "br-ex", "qg-d7e5d255-62"))
    gw = get(api, f"/ports/{gw['id']}")["port"]
    assert gw["status"] == "ACTIVE"
