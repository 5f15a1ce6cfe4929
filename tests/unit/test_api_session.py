"""The API's answers to one scripted session, byte for byte: tests/golden/api_session.txt.

The session drives every resource through what the openstack client does with it (create with
and without optional attributes, show, list with filters, fields, sorting and pages, update,
tags, router interfaces and gateways, floating IPs, delete) and then every bad request of
tests/support/bad_requests.py, and records each status and JSON answer, and the nodes each
change reaches (tests/support/session.py; generated ids, MACs and times written as <id N>,
<mac N> and <time>).

The other API tests say what matters about an answer; this one says that nothing else moved:
a changed key, message, default or order shows as a diff (tests/support/golden.py).
"""
import json

import webob

from tests.support import golden
from tests.support.bad_requests import (BAD, DEFAULT_SG, EXT, NET_A, NET_C, R_A, SUB_A4,
                                       SUB_C4, VM_A1)
from tests.support.session import check, replay
from tests.unit.conftest import make_api

# (method, path, body, name to keep the answer's id under); "{name}" is replaced by a kept id
SESSION = [
    ("GET", "/", None, None),
    ("GET", "", None, None),
    ("GET", "/extensions", None, None),
    ("GET", "/extensions/router", None, None),
    ("GET", "/networks?sort_key=name&sort_dir=desc&fields=name&fields=id", None, None),
    ("GET", "/networks?limit=2&sort_key=name", None, None),
    ("GET", f"/networks/{NET_A}", None, None),
    ("GET", f"/networks/{NET_A}?fields=subnets&fields=mtu", None, None),
    ("GET", "/networks?router:external=true", None, None),
    ("GET", "/networks?name=TenantA-Net&name=TenantC-Net&fields=name", None, None),
    ("GET", "/subnets?ip_version=6", None, None),
    ("GET", f"/subnets/{SUB_A4}", None, None),
    ("GET", f"/ports?network_id={NET_A}&sort_key=mac_address", None, None),
    ("GET", f"/ports?fixed_ips=subnet_id%3D{SUB_A4}&fields=fixed_ips", None, None),
    ("GET", "/ports?fixed_ips=ip_address%3D10.0.0.4", None, None),
    ("GET", "/ports?device_owner=network:router_interface&fields=device_id&fields=name",
     None, None),
    ("GET", f"/ports/{VM_A1}", None, None),
    ("GET", "/routers", None, None),
    ("GET", f"/routers/{R_A}", None, None),
    ("GET", "/floatingips", None, None),
    ("GET", "/agents?fields=agent_type&fields=host&fields=alive", None, None),
    ("GET", "/availability_zones", None, None),
    ("GET", "/nodes", None, None),
    # a network with every optional attribute, its subnets and ports
    ("POST", "/networks", {"network": {
        "name": "web", "description": "the web tier", "mtu": 1400, "shared": True,
        "provider:network_type": "gre", "provider:segmentation_id": "77",
        "project_id": "c" * 32}}, "web"),
    ("POST", "/networks", {"network": {"name": "plain"}}, "plain"),
    ("PUT", "/networks/{plain}", {"network": {"name": "plain2", "description": "d",
                                             "mtu": 1300}}, None),
    ("PUT", "/networks/{plain}/tags", {"tags": ["red", "blue"]}, None),
    ("PUT", "/networks/{plain}/tags/green", None, None),
    ("GET", "/networks/{plain}/tags", None, None),
    ("GET", "/networks/{plain}/tags/red", None, None),
    ("DELETE", "/networks/{plain}/tags/red", None, None),
    ("GET", "/networks?tags=blue&fields=name&fields=tags", None, None),
    ("GET", "/networks?tags-any=green,nothing&fields=name", None, None),
    ("GET", "/networks?not-tags=blue&fields=name", None, None),
    ("DELETE", "/networks/{plain}/tags", None, None),
    ("POST", "/subnets", {"subnet": {
        "network_id": "{web}", "cidr": "10.50.0.0/24", "ip_version": 4, "name": "web4",
        "gateway_ip": "10.50.0.1",
        "allocation_pools": [{"start": "10.50.0.10", "end": "10.50.0.20"},
                             {"start": "10.50.0.100", "end": "10.50.0.110"}],
        "dns_nameservers": ["8.8.8.8", "1.1.1.1"],
        "host_routes": [{"destination": "192.168.0.0/16", "nexthop": "10.50.0.5"}]}},
     "web4"),
    ("POST", "/subnets", {"subnet": {
        "network_id": "{web}", "cidr": "fd50::/64", "ip_version": 6, "name": "web6",
        "ipv6_address_mode": "slaac", "ipv6_ra_mode": "slaac"}}, "web6"),
    ("POST", "/subnets", {"subnet": {"network_id": "{plain}", "cidr": "10.51.0.0/28",
                                     "enable_dhcp": False, "gateway_ip": None}}, "plain4"),
    ("PUT", "/subnets/{web4}", {"subnet": {
        "name": "web4b", "dns_nameservers": ["9.9.9.9"], "host_routes": [],
        "allocation_pools": [{"start": "10.50.0.10", "end": "10.50.0.30"}],
        "description": "pools grown"}}, None),
    ("PUT", "/subnets/{plain4}", {"subnet": {"enable_dhcp": True}}, None),
    ("PUT", "/subnets/{plain4}", {"subnet": {"gateway_ip": "10.51.0.14"}}, None),  # in the pool
    ("PUT", "/subnets/{plain4}", {"subnet": {
        "gateway_ip": "10.51.0.14", "allocation_pools": [{"start": "10.51.0.2",
                                                         "end": "10.51.0.13"}]}}, None),
    ("GET", "/subnets?network_id={web}&sort_key=cidr", None, None),
    ("GET", "/ports?network_id={web}", None, None),
    ("POST", "/ports", {"port": {
        "network_id": "{web}", "name": "web-vm", "binding:host_id": "compute2",
        "device_owner": "compute:nova", "device_id": "vm-web-1",
        "fixed_ips": [{"subnet_id": "{web4}", "ip_address": "10.50.0.15"}],
        "mac_address": "fa:16:3e:00:50:15"}}, "webvm"),
    ("POST", "/ports", {"port": {"network_id": "{web}", "name": "spare"}}, "spare"),
    ("POST", "/ports", {"port": {"network_id": "{web}",
                                 "fixed_ips": [{"ip_address": "10.50.0.12"}]}}, "byip"),
    ("PUT", "/ports/{spare}", {"port": {"binding:host_id": "compute1", "name": "bound",
                                        "device_owner": "compute:nova"}}, None),
    ("PUT", "/ports/{spare}", {"port": {"fixed_ips": [{"subnet_id": "{web4}",
                                                      "ip_address": "10.50.0.25"}]}}, None),
    ("PUT", "/ports/{webvm}", {"port": {"mac_address": "fa:16:3e:00:50:16"}}, None),
    ("PUT", "/ports/{webvm}", {"port": {"binding:host_id": "compute1"}}, None),
    ("GET", "/ports?binding:host_id=compute1&fields=name&sort_key=name", None, None),
    ("GET", "/ports?fixed_ips=ip_address_substr%3D10.50&fields=name", None, None),
    ("DELETE", "/ports/{byip}", None, None),
    ("PUT", "/ports/{spare}", {"port": {"binding:host_id": ""}}, None),
    # routers: a gateway chosen and given, interfaces by subnet and by port, removed both ways
    ("POST", "/routers", {"router": {"name": "r-web", "external_gateway_info": {
        "network_id": EXT, "enable_snat": False}}}, "rweb"),
    ("POST", "/routers", {"router": {"name": "r-two", "description": "second",
                                     "external_gateway_info": {
                                         "network_id": EXT, "external_fixed_ips": [
                                             {"ip_address": "10.1.101.230"}]}}}, "rtwo"),
    ("PUT", "/routers/{rweb}/add_router_interface", {"subnet_id": "{web4}"}, None),
    ("POST", "/ports", {"port": {"network_id": "{plain}", "name": "for-router",
                                 "fixed_ips": [{"ip_address": "10.51.0.9"}]}}, "rport"),
    ("PUT", "/routers/{rtwo}/add_router_interface", {"port_id": "{rport}"}, None),
    ("GET", "/routers/{rtwo}", None, None),
    ("GET", "/ports?device_id={rweb}&sort_key=device_owner", None, None),
    ("PUT", "/routers/{rweb}", {"router": {"external_gateway_info": {
        "network_id": EXT, "enable_snat": True}, "name": "r-web2"}}, None),
    ("PUT", "/routers/{rtwo}", {"router": {"external_gateway_info": None}}, None),
    ("POST", "/floatingips", {"floatingip": {"floating_network_id": EXT}}, "fip1"),
    ("POST", "/floatingips", {"floatingip": {
        "floating_network_id": EXT, "floating_ip_address": "10.1.101.231",
        "port_id": "{webvm}", "description": "for web"}}, "fip2"),
    ("PUT", "/floatingips/{fip1}", {"floatingip": {"port_id": "{spare}",
                                                   "fixed_ip_address": "10.50.0.25"}}, None),
    ("GET", "/floatingips?port_id={webvm}", None, None),
    ("GET", "/floatingips?floating_ip_address=10.1.101.231&fields=id", None, None),
    ("PUT", "/floatingips/{fip1}", {"floatingip": {"port_id": None}}, None),
    ("PUT", "/floatingips/{fip2}", {"floatingip": {"description": "moved on"}}, None),
    ("DELETE", "/floatingips/{fip1}", None, None),
    ("DELETE", "/floatingips/{fip2}", None, None),
    ("PUT", "/routers/{rtwo}/remove_router_interface", {"port_id": "{rport}"}, None),
    ("PUT", "/routers/{rweb}/remove_router_interface", {"subnet_id": "{web4}"}, None),
    ("DELETE", "/routers/{rweb}", None, None),
    ("DELETE", "/routers/{rtwo}", None, None),
    ("DELETE", "/ports/{webvm}", None, None),
    ("DELETE", "/ports/{spare}", None, None),
    ("GET", "/ports/{rport}", None, None),  # removing the interface took its port
    ("DELETE", "/subnets/{web6}", None, None),
    ("PUT", "/subnets/{web4}", {"subnet": {"enable_dhcp": False}}, None),
    ("GET", "/ports?network_id={web}", None, None),
    ("DELETE", "/networks/{web}", None, None),
    ("DELETE", "/networks/{plain}", None, None),
    ("GET", "/networks?fields=name", None, None),
    # filters, sorting and pages at their edges; tags and subnets refused
    ("GET", "/networks?mtu=abc", None, None),
    ("GET", "/networks?mtu=1450&fields=name", None, None),
    ("GET", "/ports?fixed_ips=foo", None, None),
    ("GET", "/ports?fixed_ips=colour%3Dblue", None, None),
    ("GET", "/ports?fixed_ips=ip_address%3D10.0.0.4&fixed_ips=ip_address%3D10.0.2.4"
     "&fields=name", None, None),
    ("GET", "/subnets?gateway_ip=&fields=name", None, None),
    ("GET", "/subnets?gateway_ip=null&fields=name", None, None),
    ("GET", "/subnets?gateway_ip=None&fields=name", None, None),
    ("GET", "/subnets?sort_key=gateway_ip&sort_dir=desc&fields=name&fields=gateway_ip",
     None, None),
    ("GET", "/networks?sort_key=mtu&sort_key=name&sort_dir=desc&sort_dir=asc&fields=name",
     None, None),
    ("GET", "/networks?limit=1&sort_key=name&page_reverse=true&fields=name", None, None),
    ("GET", f"/networks?limit=2&sort_key=name&marker={NET_A}&fields=name", None, None),
    ("GET", f"/networks?limit=1&sort_key=name&marker={NET_C}&page_reverse=true&fields=name",
     None, None),
    ("GET", "/networks?limit=0&fields=name", None, None),
    ("PUT", f"/networks/{NET_A}/tags", {"tag": ["x"]}, None),
    ("PUT", f"/networks/{NET_A}/tags", {"tags": "x"}, None),
    ("GET", f"/networks/{NET_A}/tags/absent", None, None),
    ("DELETE", f"/networks/{NET_A}/tags/absent", None, None),
    ("POST", f"/networks/{NET_A}/tags", {"tags": ["x"]}, None),
    ("PUT", f"/ports/{VM_A1}/tags/blue", None, None),
    ("GET", "/ports?tags=blue&fields=name", None, None),
    ("PUT", f"/subnets/{SUB_A4}", {"subnet": {"gateway_ip": "10.0.0.254"}}, None),
    ("PUT", f"/subnets/{SUB_C4}", {"subnet": {"gateway_ip": None}}, None),
    ("PUT", f"/subnets/{SUB_A4}", {"subnet": {"dns_nameservers": ["10.0.0.300"]}}, None),
    ("PUT", f"/subnets/{SUB_A4}", {"subnet": {"host_routes": [{"destination": "x"}]}}, None),
    ("PUT", f"/subnets/{SUB_A4}", {"subnet": {"allocation_pools": [{"start": "10.0.0.9"}]}},
     None),
    ("PUT", f"/subnets/{SUB_A4}", {"subnet": {"enable_dhcp": False}}, None),
    ("GET", "/ports?device_owner=network:dhcp&fields=name&fields=fixed_ips", None, None),
    ("PUT", f"/subnets/{SUB_A4}", {"subnet": {"enable_dhcp": True}}, None),
    ("GET", "/ports?device_owner=network:dhcp&fields=fixed_ips&fields=device_id", None, None),
    ("POST", "/networks", {"network": {"name": "six"}}, "six"),
    ("POST", "/subnets", {"subnet": {"network_id": "{six}", "cidr": "10.60.0.0/30"}}, "six4"),
    ("POST", "/subnets", {"subnet": {"network_id": "{six}", "cidr": "fd60::/64",
                                     "ip_version": 6}}, "six6"),
    ("GET", "/ports?network_id={six}", None, None),
    ("DELETE", "/subnets/{six4}", None, None),
    ("GET", "/ports?network_id={six}", None, None),
    ("DELETE", "/networks/{six}", None, None),
    # routers, interfaces and floating IPs at their edges
    ("POST", "/routers", {"router": {"name": "r-d", "project_id": "d" * 32}}, "rd"),
    ("POST", "/networks", {"network": {"name": "dnet", "project_id": "d" * 32}}, "dnet"),
    ("POST", "/subnets", {"subnet": {"network_id": "{dnet}", "cidr": "10.70.0.0/24"}},
     "dsub"),
    ("PUT", "/routers/{rd}/add_router_interface", {"subnet_id": "{dsub}"}, None),
    ("GET", "/ports?device_id={rd}&fields=project_id&fields=device_owner&fields=fixed_ips",
     None, None),
    ("PUT", "/routers/{rd}/add_router_interface", ["{dsub}"], None),
    ("PUT", "/routers/{rd}/add_router_interface", {"subnet_id": "{dsub}", "port_id": "x"},
     None),
    ("PUT", "/routers/{rd}/add_router_interface", {"port_id": VM_A1}, None),
    ("POST", "/ports", {"port": {"network_id": NET_A, "name": "two-ips",
                                 "fixed_ips": [{"ip_address": "10.0.0.77"},
                                               {"ip_address": "fd00::77"}]}}, "twoips"),
    ("PUT", "/routers/{rd}/add_router_interface", {"port_id": "{twoips}"}, None),
    ("POST", "/networks", {"network": {"name": "nogw"}}, "nogw"),
    ("POST", "/subnets", {"subnet": {"network_id": "{nogw}", "cidr": "10.71.0.0/24",
                                     "gateway_ip": None, "enable_dhcp": False}}, "nogwsub"),
    ("PUT", "/routers/{rd}/add_router_interface", {"subnet_id": "{nogwsub}"}, None),
    ("PUT", "/routers/{rd}/add_router_interface", {"subnet_id": SUB_A4}, None),
    ("PUT", "/routers/{rd}/remove_router_interface", {"subnet_id": SUB_A4}, None),
    ("PUT", "/routers/{rd}/remove_router_interface", {"port_id": VM_A1}, None),
    ("PUT", "/routers/{rd}", {"router": {"external_gateway_info": {"enable_snat": False}}},
     None),
    ("PUT", "/routers/{rd}", {"router": {"external_gateway_info": {
        "network_id": EXT, "colour": "red"}}}, None),
    ("PUT", "/routers/{rd}", {"router": {"external_gateway_info": {
        "network_id": NET_A}}}, None),
    ("PUT", "/routers/{rd}", {"router": {"external_gateway_info": {
        "network_id": EXT, "external_fixed_ips": [{"ip_address": "a"}, {"ip_address": "b"}]}}},
     None),
    ("PUT", "/routers/{rd}", {"router": {"external_gateway_info": {
        "network_id": EXT, "enable_snat": "sometimes"}}}, None),
    ("PUT", "/routers/{rd}", {"router": {"external_gateway_info": {
        "network_id": EXT, "external_fixed_ips": [{"subnet_id": SUB_A4}]}}}, None),
    ("PUT", "/routers/{rd}", {"router": {"external_gateway_info": {
        "network_id": EXT, "external_fixed_ips": [{"ip_address": "not-an-ip"}]}}}, None),
    ("PUT", "/routers/{rd}", {"router": {"external_gateway_info": {
        "network_id": EXT, "external_fixed_ips": [{"ip_address": "10.1.101.241"}]}}}, None),
    ("PUT", "/routers/{rd}", {"router": {"external_gateway_info": {
        "network_id": EXT, "external_fixed_ips": [{"ip_address": "10.1.101.250"}]}}}, None),
    ("PUT", "/routers/{rd}", {"router": {"external_gateway_info": {
        "network_id": EXT, "external_fixed_ips": [{"ip_address": "10.1.101.250"}],
        "enable_snat": False}}}, None),
    ("PUT", "/routers/{rd}", {"router": {"external_gateway_info": {"network_id": EXT}}},
     None),
    ("PUT", "/routers/{rd}", {"router": {"external_gateway_info": {
        "network_id": EXT, "external_fixed_ips": [{"ip_address": "10.1.101.251"}]}}}, None),
    ("POST", "/routers", {"router": {"availability_zone_hints": ["az2"]}}, None),
    ("POST", "/routers", {"router": {"admin_state_up": False}}, None),
    ("POST", "/ports", {"port": {"network_id": "{dnet}", "name": "d-vm",
                                 "binding:host_id": "compute1"}}, "dvm"),
    ("POST", "/floatingips", {"floatingip": {}}, None),
    ("POST", "/floatingips", {"floatingip": {"floating_network_id": NET_A}}, None),
    ("POST", "/floatingips", {"floatingip": {"floating_network_id": EXT,
                                             "fixed_ip_address": "10.70.0.5"}}, None),
    ("POST", "/floatingips", {"floatingip": {"floating_network_id": EXT, "port_id": "{dvm}",
                                             "fixed_ip_address": "10.70.0.200"}}, None),
    ("POST", "/floatingips", {"floatingip": {"floating_network_id": EXT,
                                             "port_id": "{nogwsub}"}}, None),
    ("POST", "/floatingips", {"floatingip": {"floating_network_id": EXT, "port_id": "{dvm}",
                                             "subnet_id": SUB_A4}}, None),
    ("POST", "/floatingips", {"floatingip": {"floating_network_id": EXT, "port_id": "{dvm}",
                                             "description": "d", "project_id": "d" * 32}},
     "dfip"),
    ("POST", "/ports", {"port": {"network_id": "{nogw}", "name": "no-v4"}}, "nov4"),
    ("PUT", "/floatingips/{dfip}", {"floatingip": {"port_id": "{nov4}"}}, None),
    ("POST", "/ports", {"port": {"network_id": NET_C, "name": "c-vm",
                                 "binding:host_id": "compute2"}}, "cvm"),
    ("PUT", "/floatingips/{dfip}", {"floatingip": {"port_id": "{cvm}"}}, None),
    ("PUT", "/routers/{rd}", {"router": {"external_gateway_info": None}}, None),
    ("PUT", "/floatingips/{dfip}", {"floatingip": {"fixed_ip_address": "10.70.0.201"}}, None),
    ("PUT", "/floatingips/{dfip}", {"floatingip": {"port_id": None,
                                                   "fixed_ip_address": "10.70.0.2"}}, None),
    ("PUT", "/floatingips/{dfip}", {"floatingip": {"port_id": None}}, None),
    ("PUT", "/routers/{rd}", {"router": {"external_gateway_info": None}}, None),
    ("DELETE", "/routers/{rd}", None, None),
    ("PUT", "/routers/{rd}/remove_router_interface", {"subnet_id": "{dsub}"}, None),
    ("DELETE", "/routers/{rd}", None, None),
    ("GET", "/floatingips?fields=floating_ip_address&fields=port_id&fields=router_id",
     None, None),
    # security groups and rules as the openstack client drives them, ports' security
    ("GET", "/security-groups", None, None),
    ("GET", f"/security-groups/{DEFAULT_SG}", None, None),
    ("GET", "/security-groups?name=default&fields=id&fields=name", None, None),
    ("GET", f"/security-group-rules?security_group_id={DEFAULT_SG}&direction=ingress"
            "&fields=protocol&fields=remote_ip_prefix&fields=remote_group_id", None, None),
    ("POST", "/security-groups", {"security_group": {"name": "web", "description": "http",
                                                     "project_id": "c" * 32}}, "sgweb"),
    ("POST", "/security-groups", {"security_group": {"name": "db", "stateful": True}}, "sgdb"),
    ("GET", "/security-groups?project_id=" + "c" * 32 + "&fields=name", None, None),
    ("POST", "/security-group-rules", {"security_group_rule": {
        "security_group_id": "{sgweb}", "direction": "ingress", "protocol": "tcp",
        "port_range_min": 80, "port_range_max": 80, "remote_ip_prefix": "0.0.0.0/0",
        "ethertype": "IPv4"}}, "r80"),
    ("POST", "/security-group-rules", {"security_group_rule": {
        "security_group_id": "{sgdb}", "direction": "ingress", "protocol": "TCP",
        "port_range_min": "5432", "port_range_max": "5432", "remote_group_id": "{sgweb}",
        "ethertype": "ipv4", "description": "from the web tier"}}, "r5432"),
    ("POST", "/security-group-rules", {"security_group_rule": {
        "security_group_id": "{sgdb}", "direction": "ingress", "protocol": "icmp",
        "port_range_min": 8, "remote_ip_prefix": "10.0.0.7/24"}}, None),
    ("POST", "/security-group-rules", {"security_group_rule": {
        "security_group_id": "{sgdb}", "direction": "egress", "protocol": "58",
        "ethertype": "IPv6"}}, None),
    ("GET", "/security-group-rules/{r5432}", None, None),
    ("PUT", "/security-groups/{sgdb}", {"security_group": {"name": "database",
                                                          "description": "d"}}, None),
    ("PUT", "/security-groups/{sgdb}/tags/pg", None, None),
    ("POST", "/ports", {"port": {"network_id": NET_C, "name": "db-vm",
                                 "binding:host_id": "compute2",
                                 "security_groups": ["{sgdb}"],
                                 "allowed_address_pairs": [{"ip_address": "10.0.2.100"}, {
                                     "ip_address": "10.0.2.128/25",
                                     "mac_address": "fa:16:3e:00:00:99"}]}}, "dbvm"),
    ("DELETE", "/security-groups/{sgdb}", None, None),
    ("PUT", "/ports/{dbvm}", {"port": {"security_groups": ["{sgdb}", DEFAULT_SG]}}, None),
    ("PUT", "/ports/{dbvm}", {"port": {"security_groups": [], "allowed_address_pairs": [],
                                       "port_security_enabled": False}}, None),
    ("POST", "/ports", {"port": {"network_id": NET_C, "name": "open-vm",
                                 "port_security_enabled": False}}, None),
    ("DELETE", "/security-group-rules/{r80}", None, None),
    ("DELETE", "/security-groups/{sgweb}", None, None),
    ("GET", "/security-group-rules/{r5432}", None, None),
    ("DELETE", "/security-groups/{sgdb}", None, None),
    ("GET", "/security-groups?fields=name&sort_key=name", None, None),
]


def transcript(tmp_path, monkeypatch) -> str:
    requests = list(SESSION)
    for bad in BAD:
        requests += [(m, p, b, None, None) for m, p, b in bad.setup]
        requests.append((bad.method, bad.path, bad.body, None, bad.headers))
    return replay(lambda: make_api(tmp_path / "state.sqlite"), requests, monkeypatch)


def test_token_authentication_answers_as_recorded(tmp_path):
    """auth_strategy = token: the versions document is open, the rest needs the token
    (keystone's 401 otherwise, as keystonemiddleware answers)."""
    api = make_api(tmp_path / "state.sqlite", token="s3cret")
    out = []
    for path, headers in (("/", {}), ("/v2.0/networks?fields=name", {}),
                          ("/v2.0/networks?fields=name", {"X-Auth-Token": "wrong"}),
                          ("/v2.0/networks?fields=name", {"X-Auth-Token": "s3cret"})):
        req = webob.Request.blank(path, headers=headers)
        resp = req.get_response(api)
        out.append(f"### GET {path} {sorted(headers.items())}\n{resp.status} "
                   f"{resp.headers.get('WWW-Authenticate')} {resp.content_type} "
                   f"{resp.charset}\n{json.dumps(resp.json, indent=1, sort_keys=True)}")
    golden.check("api_token.txt", "\n".join(out) + "\n", "the token-protected API's answers")


def test_the_session_answers_as_recorded(tmp_path, monkeypatch):
    check("api_session.txt", transcript(tmp_path, monkeypatch), "the API's answers")
