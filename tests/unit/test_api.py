"""The REST API without a switch: the WSGI app over a Keeper with a real SQLite store.

Each refused request is checked for its status, its Neutron-style message, and that nothing
changed: same document, same version in the store, no change announced to the controller."""
import json

import pytest
import webob

from controller.api import Api
from controller.keeper import Keeper
from controller.store import Store
from tests.conftest import SEED

TENANT_A = "84191af8-269f-485a-b394-85d79e53a39a"


def call(api, method, path, body=None):
    req = webob.Request.blank("/v2.0" + path, method=method)
    if body is not None:
        req.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        req.content_type = "application/json"
    resp = req.get_response(api)
    return resp.status_int, (resp.json if resp.body else None)


def refused(api, method, path, body, status, fragment):
    """The request gets `status` with `fragment` in its message, and changes nothing."""
    doc, version = json.dumps(api.keeper.doc, sort_keys=True), api.keeper.version
    announced = len(api.changes)
    code, answer = call(api, method, path, body)
    assert code == status, answer
    assert fragment in answer["NeutronError"]["message"], answer
    assert json.dumps(api.keeper.doc, sort_keys=True) == doc
    assert Store(api.path).load() == (version, api.keeper.doc)
    assert len(api.changes) == announced, "no change announced to the controller"


def test_lists_are_neutron_shaped(api):
    code, nets = call(api, "GET", "/networks")
    assert code == 200
    a = next(n for n in nets["networks"] if n["id"] == TENANT_A)
    assert (a["provider:network_type"], a["provider:segmentation_id"], a["mtu"]) == \
        ("vxlan", 5000, 1450)
    subnets = call(api, "GET", "/subnets")[1]["subnets"]
    assert {s["cidr"] for s in subnets if s["network_id"] == TENANT_A} == \
        {"10.0.0.0/24", "fd00::/64"}
    ports = call(api, "GET", "/ports")[1]["ports"]
    a1 = next(p for p in ports if p["name"] == "vm-a1")
    assert a1["binding:host_id"] == "compute1" and a1["mac_address"] == "fa:16:3e:eb:06:2d"
    assert {f["ip_address"] for f in a1["fixed_ips"]} == {"10.0.0.4", "fd00::4"}
    nodes = call(api, "GET", "/nodes")[1]["nodes"]
    assert nodes[0]["bridges"] == {"br-int": "connected", "br-tun": "disconnected"}


def test_create_allocates_and_persists(api):
    code, net = call(api, "POST", "/networks", {"network": {"name": "TenantD-Net"}})
    assert code == 201 and net["network"]["provider:network_type"] == "vxlan"
    net_id = net["network"]["id"]
    assert call(api, "POST", "/subnets", {"subnet": {"network_id": net_id,
                                                     "cidr": "10.1.0.0/24"}})[0] == 201
    assert call(api, "POST", "/subnets", {"subnet": {"network_id": net_id,
                                                     "cidr": "fd01::/64"}})[0] == 201
    code, port = call(api, "POST", "/ports", {"port": {"network_id": net_id,
                                                      "binding:host_id": "compute2"}})
    assert code == 201
    port = port["port"]
    assert port["mac_address"].startswith("fa:16:3e:")
    assert {f["ip_address"] for f in port["fixed_ips"]} == {"10.1.0.2", "fd01::2"}
    assert Store(api.path).load() == (api.keeper.version, api.keeper.doc)
    assert len(api.changes) == 4
    # a new Keeper on the same store (a restarted controller) answers the same
    again = Api(Keeper(Store(api.path), SEED, lambda c: None), lambda n: {})
    assert call(again, "GET", f"/ports/{port['id']}")[1]["port"] == port


def test_network_rename_keeps_its_ports(api):
    code, net = call(api, "PUT", f"/networks/{TENANT_A}", {"network": {"name": "Blue"}})
    assert code == 200 and net["network"]["name"] == "Blue"
    ports = call(api, "GET", "/ports")[1]["ports"]
    assert sum(p["network_id"] == TENANT_A for p in ports) == 5  # 3 VMs, DHCP, router
    refused(api, "PUT", f"/networks/{TENANT_A}", {"network": {"provider:segmentation_id": 9}},
            400, "Unrecognized attribute(s) 'provider:segmentation_id'")


def test_port_move_and_delete(api):
    a3 = next(p for p in call(api, "GET", "/ports")[1]["ports"] if p["name"] == "vm-a3")
    code, moved = call(api, "PUT", f"/ports/{a3['id']}", {"port": {"binding:host_id":
                                                                   "compute1"}})
    assert code == 200 and moved["port"]["binding:host_id"] == "compute1"
    assert moved["port"]["mac_address"] == a3["mac_address"]
    assert call(api, "DELETE", f"/ports/{a3['id']}") == (204, None)
    assert call(api, "GET", f"/ports/{a3['id']}")[0] == 404


@pytest.mark.parametrize("method, path, body, status, fragment", [
    ("POST", "/subnets", {"subnet": {"network_id": TENANT_A, "cidr": "10.0.0.300/24"}},
     400, "is not a valid IP subnet"),
    ("POST", "/ports", {"port": {"network_id": TENANT_A, "binding:host_id": "compute1",
                                 "fixed_ips": [{"ip_address": "10.9.0.5"}]}},
     400, "IP 10.9.0.5 is outside network TenantA-Net's cidr"),
    ("POST", "/ports", {"port": {"network_id": TENANT_A, "binding:host_id": "compute1",
                                 "mac_address": "fa:16:3e:eb:06:2d"}},
     400, "duplicate MAC fa:16:3e:eb:06:2d"),
    ("POST", "/ports", {"port": {"network_id": TENANT_A, "binding:host_id": "compute1",
                                 "fixed_ips": [{"ip_address": "10.0.0.4"}]}},
     400, "duplicate IP 10.0.0.4 in network TenantA-Net"),
    ("POST", "/networks", {"network": {"provider:network_type": "gre",
                                       "provider:segmentation_id": 5001}},
     400, "duplicate gre segmentation_id 5001"),
    ("POST", "/networks", {"network": {"provider:network_type": "vxlan",
                                       "provider:segmentation_id": 2**24}},
     400, "segmentation_id 16777216 out of range for vxlan"),
    ("POST", "/networks", {"network": {"provider:network_type": "vlan"}},
     400, "Invalid network type 'vlan'"),
    ("POST", "/ports", {"port": {"network_id": TENANT_A, "binding:host_id": "compute9"}},
     400, "unknown node 'compute9'"),
    ("POST", "/ports", {"port": {"network_id": "no-such-net", "binding:host_id": "compute1"}},
     400, "network no-such-net does not exist"),
    ("POST", "/ports", {"port": {"network_id": TENANT_A, "binding:host_id": "compute1",
                                 "colour": "blue"}},
     400, "Unrecognized attribute(s) 'colour'"),
    ("POST", "/ports", b"{not json", 400, "Malformed request body"),
    ("POST", "/subnets", {"subnet": {"network_id": TENANT_A, "cidr": "10.5.0.0/24",
                                     "enable_dhcp": True}}, 400, "enable_dhcp"),
    ("GET", "/ports/0000", None, 404, "Port 0000 could not be found"),
    ("DELETE", "/networks/0000", None, 404, "Network 0000 could not be found"),
    ("DELETE", f"/networks/{TENANT_A}", None, 409, "one or more ports still in use"),
    ("PUT", "/ports/974a43e3-90a5-4066-83b1-ac819b29966b",
     {"port": {"binding:host_id": "nowhere"}}, 400, "unknown node 'nowhere'"),
    ("DELETE", "/nodes/compute1", None, 405, "read-only"),
])
def test_bad_requests_change_nothing(api, method, path, body, status, fragment):
    refused(api, method, path, body, status, fragment)


def test_subnet_in_use_is_a_conflict(api):
    sub = next(s for s in call(api, "GET", "/subnets")[1]["subnets"]
               if s["network_id"] == TENANT_A and s["ip_version"] == 4)
    refused(api, "DELETE", f"/subnets/{sub['id']}", None, 409, "IP allocation from this subnet")


def test_allocation_pools_steer_automatic_addresses(api):
    net = call(api, "POST", "/networks", {"network": {"name": "pooled"}})[1]["network"]
    code, sub = call(api, "POST", "/subnets", {"subnet": {
        "network_id": net["id"], "cidr": "10.7.0.0/24",
        "allocation_pools": [{"start": "10.7.0.100", "end": "10.7.0.101"}]}})
    assert code == 201
    assert sub["subnet"]["allocation_pools"] == [{"start": "10.7.0.100", "end": "10.7.0.101"}]
    ips = []
    for _ in range(2):
        port = call(api, "POST", "/ports", {"port": {"network_id": net["id"],
                                                    "binding:host_id": "compute1"}})[1]["port"]
        ips.append(port["fixed_ips"][0]["ip_address"])
    assert ips == ["10.7.0.100", "10.7.0.101"]
    refused(api, "POST", "/ports", {"port": {"network_id": net["id"],
                                             "binding:host_id": "compute1"}},
            409, "No more IP addresses available")
    # an address outside the pool but inside the subnet may still be asked for explicitly
    code, _ = call(api, "POST", "/ports", {"port": {"network_id": net["id"],
                                                   "binding:host_id": "compute1",
                                                   "fixed_ips": [{"ip_address": "10.7.0.9"}]}})
    assert code == 201


@pytest.mark.parametrize("pool, fragment", [
    ({"start": "10.8.0.1", "end": "10.8.0.20"}, "contains the gateway_ip 10.8.0.1"),
    ({"start": "10.9.0.5", "end": "10.9.0.20"}, "is not inside one of the network's cidrs"),
    ({"start": "10.8.0.20", "end": "10.8.0.5"}, "is not a range FIRST-LAST"),
])
def test_bad_allocation_pools_change_nothing(api, pool, fragment):
    net = call(api, "POST", "/networks", {"network": {"name": "pooled"}})[1]["network"]
    refused(api, "POST", "/subnets", {"subnet": {"network_id": net["id"], "cidr": "10.8.0.0/24",
                                                 "allocation_pools": [pool]}}, 400, fragment)
