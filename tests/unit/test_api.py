"""The REST API without a switch (the WSGI app over a Keeper with a real SQLite store):
Neutron's resources with their whole attribute sets, the DHCP port that follows subnets,
ports created unbound and bound later, revision numbers and timestamps, and a restarted
controller answering the same."""
from cloud import attributes
from controller.store import Store
from tests.support.apicall import call, get, refused
from tests.support.bad_requests import EXT, NET_A, R_A, SUB_A4, VM_A1
from tests.unit.conftest import make_api


def test_every_view_has_exactly_its_declared_attributes(api):
    net = get(api, "/networks")["networks"][0]
    get(api, f"/routers/{R_A}")  # (a show works too)
    views = {"networks": net, "subnets": get(api, "/subnets")["subnets"][0],
             "ports": get(api, f"/ports/{VM_A1}")["port"],
             "routers": get(api, "/routers")["routers"][0],
             "floatingips": get(api, "/floatingips")["floatingips"][0],
             "agents": get(api, "/agents")["agents"][0],
             "availability_zones": get(api, "/availability_zones")["availability_zones"][0],
             "nodes": get(api, "/nodes")["nodes"][0]}
    for coll, view in views.items():
        assert list(view) == attributes.shown(coll), coll


def test_seed_resources_read_as_neutron_shows_them(api):
    nets = {n["name"]: n for n in get(api, "/networks")["networks"]}
    a = nets["TenantA-Net"]
    assert (a["provider:network_type"], a["provider:segmentation_id"], a["mtu"]) == \
        ("vxlan", 5000, 1450)
    assert a["status"] == "ACTIVE" and a["port_security_enabled"] is True
    assert a["project_id"] == a["tenant_id"] and len(a["project_id"]) == 32
    assert a["revision_number"] == 1 and a["created_at"].endswith("Z")
    assert a["availability_zones"] == ["nova"]  # it has a DHCP port
    subnets = {s["name"]: s for s in get(api, "/subnets")["subnets"]}
    assert subnets["TenantA-Subnet"]["enable_dhcp"] is True
    assert subnets["TenantA-Subnet"]["allocation_pools"] == [{"start": "10.0.0.2",
                                                             "end": "10.0.0.254"}]
    assert subnets["TenantA-Subnet-v6"]["enable_dhcp"] is False
    assert set(a["subnets"]) == {subnets["TenantA-Subnet"]["id"],
                                 subnets["TenantA-Subnet-v6"]["id"]}
    a1 = get(api, f"/ports/{VM_A1}")["port"]
    assert a1["binding:host_id"] == "compute1" and a1["binding:vif_type"] == "ovs"
    assert a1["status"] == "DOWN"  # its tap is not on br-int (the fake controller sees none)
    api.runtime.devices.add(("compute1", "br-int", "tap974a43e3-90"))
    assert get(api, f"/ports/{VM_A1}")["port"]["status"] == "ACTIVE"
    gateways = get(api, "/ports?device_owner=network:router_gateway")["ports"]
    assert {p["device_id"] for p in gateways} == {r["id"] for r in get(api, "/routers")[
        "routers"]} and gateways[0]["network_id"] == EXT


def test_network_subnet_port_with_dhcp(api):
    net = call(api, "POST", "/networks", {"network": {"name": "TenantD Net (web tier)"}})
    assert net[0] == 201
    net = net[1]["network"]
    assert net["name"] == "TenantD Net (web tier)" and net["provider:network_type"] == "vxlan"
    code, sub = call(api, "POST", "/subnets", {"subnet": {
        "network_id": net["id"], "cidr": "10.1.0.0/24", "ip_version": "4", "name": "web"}})
    assert code == 201, sub
    sub = sub["subnet"]
    assert (sub["enable_dhcp"], sub["gateway_ip"], sub["name"]) == (True, "10.1.0.1", "web")
    assert sub["allocation_pools"] == [{"start": "10.1.0.2", "end": "10.1.0.254"}]
    assert sub["dns_nameservers"] == [] and sub["host_routes"] == []
    (dhcp,) = get(api, f"/ports?network_id={net['id']}&device_owner=network:dhcp")["ports"]
    assert dhcp["binding:host_id"] == "network" and dhcp["device_id"].startswith("dhcp")
    assert dhcp["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.1.0.2"}]
    code, v6 = call(api, "POST", "/subnets", {"subnet": {
        "network_id": net["id"], "cidr": "fd01::/64", "ip_version": 6,
        "ipv6_address_mode": "slaac", "ipv6_ra_mode": "slaac"}})
    assert code == 201 and v6["subnet"]["gateway_ip"] == "fd01::1"
    code, port = call(api, "POST", "/ports", {"port": {
        "network_id": net["id"], "name": "Web-Server-1", "mac_address": "fa:16:3e:00:00:01"}})
    assert code == 201, port
    port = port["port"]
    assert {f["ip_address"] for f in port["fixed_ips"]} == {"10.1.0.3",
                                                             "fd01::f816:3eff:fe00:1"}
    assert (port["binding:host_id"], port["binding:vif_type"], port["status"]) == \
        ("", "unbound", "DOWN")
    assert port["device_owner"] == "" and port["binding:profile"] == {}
    assert port["id"] not in {p.id for p in api.keeper.cloud.ports}  # no flows anywhere
    # bound later, as Nova does
    code, bound = call(api, "PUT", f"/ports/{port['id']}", {"port": {
        "binding:host_id": "compute2", "device_owner": "compute:nova",
        "binding:profile": {"migrating_to": None}}})
    assert code == 200 and bound["port"]["binding:vif_type"] == "ovs"
    assert bound["port"]["binding:profile"] == {"migrating_to": None}
    assert bound["port"]["revision_number"] == port["revision_number"] + 1
    assert port["id"] in {p.id for p in api.keeper.cloud.ports}
    # DHCP goes with the network's last DHCP subnet, and comes back with it
    assert call(api, "PUT", f"/subnets/{sub['id']}", {"subnet": {"enable_dhcp": False}})[0] \
        == 200
    assert get(api, f"/ports?network_id={net['id']}&device_owner=network:dhcp")["ports"] == []
    call(api, "PUT", f"/subnets/{sub['id']}", {"subnet": {"enable_dhcp": "True"}})
    assert len(get(api, f"/ports?network_id={net['id']}&device_owner=network:dhcp")[
        "ports"]) == 1


def test_no_dhcp_subnet_and_given_pools(api):
    net = call(api, "POST", "/networks", {"network": {"name": "pooled"}})[1]["network"]
    code, sub = call(api, "POST", "/subnets", {"subnet": {
        "network_id": net["id"], "cidr": "10.7.0.0/24", "enable_dhcp": False,
        "gateway_ip": None, "dns_nameservers": ["8.8.8.8"],
        "allocation_pools": [{"start": "10.7.0.100", "end": "10.7.0.101"}]}})
    assert code == 201 and sub["subnet"]["gateway_ip"] is None
    assert get(api, f"/ports?network_id={net['id']}")["ports"] == []
    ips = [call(api, "POST", "/ports", {"port": {"network_id": net["id"]}})[1]["port"][
        "fixed_ips"][0]["ip_address"] for _ in range(2)]
    assert ips == ["10.7.0.100", "10.7.0.101"]
    refused(api, "POST", "/ports", {"port": {"network_id": net["id"]}}, 409,
            "No more IP addresses available")
    code, _ = call(api, "POST", "/ports", {"port": {
        "network_id": net["id"], "fixed_ips": [{"ip_address": "10.7.0.9"}]}})
    assert code == 201  # outside the pool, inside the subnet: may be asked for


def test_revisions_timestamps_and_restart(api, tmp_path):
    before = get(api, f"/networks/{NET_A}")["network"]
    call(api, "PUT", f"/networks/{NET_A}", {"network": {"description": "tenant A"}})
    after = get(api, f"/networks/{NET_A}")["network"]
    assert after["revision_number"] == before["revision_number"] + 1
    assert after["description"] == "tenant A" and after["created_at"] == before["created_at"]
    untouched = get(api, f"/ports/{VM_A1}")["port"]["revision_number"]
    assert untouched == 1
    # a restarted controller (a new Keeper on the same store) answers the same
    again = make_api(api.path)
    assert get(again, f"/networks/{NET_A}")["network"] == after
    assert Store(api.path).load() == (api.keeper.version, api.keeper.doc)


def test_tags(api):
    base = f"/networks/{NET_A}/tags"
    assert call(api, "PUT", base, {"tags": ["blue", "web"]}) == (200, {"tags": ["blue", "web"]})
    assert call(api, "PUT", base + "/db")[0] == 201
    assert call(api, "GET", base + "/db")[0] == 204
    assert call(api, "GET", base + "/red")[0] == 404
    assert call(api, "DELETE", base + "/blue")[0] == 204
    assert get(api, base)["tags"] == ["web", "db"]
    assert [n["name"] for n in get(api, "/networks?tags=web,db")["networks"]] == ["TenantA-Net"]
    assert len(get(api, "/networks?not-tags-any=web")["networks"]) == 6  # B-F, Ext-Net
    assert call(api, "DELETE", base)[0] == 204
    assert get(api, f"/networks/{NET_A}")["network"]["tags"] == []


def test_router_interfaces_listed_by_device_id(api):
    """`router show` asks ports?device_id=ROUTER: exactly the router's ports."""
    ports = get(api, f"/ports?device_id={R_A}")["ports"]
    assert {p["device_owner"] for p in ports} == {"network:router_interface",
                                                  "network:router_gateway"}
    assert [f["subnet_id"] for p in ports for f in p["fixed_ips"]
            if p["device_owner"] == "network:router_interface"] == [SUB_A4]


def test_a_new_network_gets_the_first_free_segmentation_id_of_its_type(api):
    """VXLAN 1 taken: the next VXLAN network gets 2; GRE's ids are apart (GRE 1 is free)."""
    def create(**attrs):
        code, answer = call(api, "POST", "/networks", {"network": attrs})
        assert code == 201, answer
        return answer["network"]["provider:segmentation_id"]
    assert create(**{"provider:network_type": "vxlan", "provider:segmentation_id": 1}) == 1
    assert create(**{"provider:network_type": "vxlan"}) == 2
    assert create(**{"provider:network_type": "vxlan", "provider:segmentation_id": 3}) == 3
    assert create() == 4                                   # vxlan is the default type
    assert create(**{"provider:network_type": "gre"}) == 1


def test_vlan_and_flat_networks_through_the_api(api):
    """A VLAN network without an id gets the lowest free one of its physical network's
    ranges (101 and 102 are the seed's), without a physical network too; one given outside
    the ranges is taken as given; a flat network shows its physical network and no id; when
    the ranges are used up, Neutron's 503."""
    def create(**attrs):
        code, answer = call(api, "POST", "/networks", {"network": attrs})
        assert code == 201, answer
        n = answer["network"]
        return (n["provider:network_type"], n["provider:physical_network"],
                n["provider:segmentation_id"], n["mtu"])
    vlan = {"provider:network_type": "vlan"}
    assert create(**vlan, **{"provider:physical_network": "physnet1"}) == (
        "vlan", "physnet1", 100, 1500)
    assert create(**vlan) == ("vlan", "physnet1", 103, 1500)
    assert create(**vlan, **{"provider:physical_network": "physnet1",
                             "provider:segmentation_id": 3000}) == ("vlan", "physnet1", 3000,
                                                                    1500)
    flat = get(api, "/networks?provider:network_type=flat")["networks"]
    assert [(n["name"], n["provider:physical_network"], n["provider:segmentation_id"])
            for n in flat] == [("TenantF-Net", "physnet1", None), ("Ext-Net", "external", None)]
    for _ in range(104, 200):
        create(**vlan)
    code, answer = call(api, "POST", "/networks", {"network": vlan})
    assert (code, answer["NeutronError"]["message"]) == (503, "Unable to create the network. "
                                                         "No tenant network is available for "
                                                         "allocation.")


def test_deleting_a_network_takes_its_dhcp_port_and_subnets(api):
    net = call(api, "POST", "/networks", {"network": {"name": "short-lived"}})[1]["network"]
    call(api, "POST", "/subnets", {"subnet": {"network_id": net["id"], "cidr": "10.9.9.0/24"}})
    (dhcp,) = get(api, f"/ports?network_id={net['id']}")["ports"]
    assert dhcp["device_owner"] == "network:dhcp"
    assert call(api, "DELETE", f"/networks/{net['id']}") == (204, None)
    assert call(api, "GET", f"/ports/{dhcp['id']}")[0] == 404
    assert get(api, f"/subnets?network_id={net['id']}")["subnets"] == []
    assert len(get(api, "/ports")["ports"]) == 23    # the seed's 20 and its 3 gateway ports


def test_a_port_changes_its_addresses(api):
    port = call(api, "POST", "/ports", {"port": {"network_id": NET_A}})[1]["port"]
    assert len(port["fixed_ips"]) == 2                  # one per subnet
    code, none = call(api, "PUT", f"/ports/{port['id']}", {"port": {"fixed_ips": []}})
    assert code == 200 and none["port"]["fixed_ips"] == []
    code, one = call(api, "PUT", f"/ports/{port['id']}", {"port": {"fixed_ips": [
        {"ip_address": "10.0.0.77"}]}})
    assert [f["ip_address"] for f in one["port"]["fixed_ips"]] == ["10.0.0.77"]
    assert one["port"]["revision_number"] == port["revision_number"] + 2
    refused(api, "PUT", f"/ports/{port['id']}", {"port": {"fixed_ips": [
        {"ip_address": "10.0.0.4"}]}}, 409, "IP address 10.0.0.4 already allocated")
    # a DHCP port follows its subnet: only its name and description may change
    dhcp = get(api, f"/ports?network_id={NET_A}&device_owner=network:dhcp")["ports"][0]
    assert call(api, "PUT", f"/ports/{dhcp['id']}", {"port": {"name": "dhcp"}})[0] == 200
    refused(api, "PUT", f"/ports/{dhcp['id']}", {"port": {"binding:host_id": "compute1"}},
            409, "it follows what owns it")
    refused(api, "DELETE", f"/ports/{dhcp['id']}", None, 409, "has device owner network:dhcp")


def test_dhcp_turned_off_and_on_again_on_a_seed_subnet(api):
    """The seed's subnets have no stored id (it is derived from network and cidr): turning
    DHCP back on must still find them an address (it was a 500)."""
    body = {"subnet": {"enable_dhcp": False}}
    assert call(api, "PUT", f"/subnets/{SUB_A4}", body)[0] == 200
    assert not get(api, f"/ports?device_owner=network:dhcp&network_id={NET_A}")["ports"]
    body["subnet"]["enable_dhcp"] = True
    code, answer = call(api, "PUT", f"/subnets/{SUB_A4}", body)
    assert code == 200, answer
    (dhcp,) = get(api, f"/ports?device_owner=network:dhcp&network_id={NET_A}")["ports"]
    assert dhcp["fixed_ips"] == [{"subnet_id": SUB_A4, "ip_address": "10.0.0.2"}]  # free again
