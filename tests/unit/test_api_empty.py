"""A cloud that starts empty and grows through the API (tests/golden/api_empty.txt): a cloud
file with nodes and nothing else, then the first network, subnet (its DHCP port), port,
router and floating IP, each the first of its kind in the document, and back to empty; and a
cloud without a network node, where DHCP and routers cannot run."""
import yaml

from tests.support.bad_requests import EXT, NET_C, NOWHERE, R_C, SUB_A4, SUB_C4
from tests.support.session import check, replay
from tests.unit.conftest import make_api

NODES = [{"name": "network", "role": "network", "management_ip": "192.168.10.10",
          "tunnel_ip": "192.168.100.10"},
         {"name": "compute1", "role": "compute", "management_ip": "192.168.10.11",
          "tunnel_ip": "192.168.100.11"}]


def empty(tmp_path, nodes=NODES) -> str:
    path = tmp_path / "empty.yaml"
    path.write_text(yaml.safe_dump({
        "cloud": "empty", "management": {"cidr": "192.168.10.0/24",
                                         "controller": "192.168.10.1"},
        "data": {"cidr": "192.168.100.0/24"}, "nodes": nodes, "networks": []}))
    return str(path)


GROW = [
    ("GET", "/networks", None, None), ("GET", "/ports", None, None),
    ("GET", "/routers", None, None), ("GET", "/floatingips", None, None),
    ("GET", "/subnets", None, None),
    ("POST", "/networks", {"network": {"name": "first"}}, "net"),
    ("POST", "/networks", {"network": {"name": "gre", "provider:network_type": "gre"}}, "gre"),
    ("POST", "/subnets", {"subnet": {"network_id": "{net}", "cidr": "10.8.0.0/29"}}, "sub"),
    ("GET", "/ports", None, None),
    ("POST", "/ports", {"port": {"network_id": "{net}", "binding:host_id": "compute1"}}, "p1"),
    ("POST", "/ports", {"port": {"network_id": "{net}"}}, "p2"),
    ("POST", "/ports", {"port": {"network_id": "{net}"}}, "p3"),
    ("POST", "/ports", {"port": {"network_id": "{net}"}}, "p4"),   # .6: the /29 is full
    ("POST", "/ports", {"port": {"network_id": "{net}"}}, None),
    ("POST", "/routers", {"router": {"name": "r"}}, "r"),
    ("POST", "/routers", {"router": {"external_gateway_info": {"network_id": "{net}"}}},
     None),
    ("PUT", "/routers/{r}/add_router_interface", {"subnet_id": "{sub}"}, None),
    ("POST", "/floatingips", {"floatingip": {"floating_network_id": "{net}"}}, None),
    ("GET", "/agents?fields=agent_type&fields=host", None, None),
    ("PUT", "/routers/{r}/remove_router_interface", {"subnet_id": "{sub}"}, None),
    ("DELETE", "/routers/{r}", None, None),
    ("DELETE", "/ports/{p1}", None, None), ("DELETE", "/ports/{p2}", None, None),
    ("DELETE", "/ports/{p3}", None, None), ("DELETE", "/ports/{p4}", None, None),
    ("DELETE", "/subnets/{sub}", None, None),
    ("GET", "/ports", None, None),
    ("DELETE", "/networks/{net}", None, None), ("DELETE", "/networks/{gre}", None, None),
    ("GET", "/networks", None, None),
]

NO_NETWORK_NODE = [
    ("POST", "/networks", {"network": {"name": "n"}}, "n"),
    ("POST", "/subnets", {"subnet": {"network_id": "{n}", "cidr": "10.9.0.0/24"}}, None),
    ("POST", "/subnets", {"subnet": {"network_id": "{n}", "cidr": "10.9.0.0/24",
                                     "enable_dhcp": False}}, "s"),
    ("PUT", "/subnets/{s}", {"subnet": {"enable_dhcp": True}}, None),
    ("POST", "/routers", {"router": {"name": "r"}}, None),
    ("GET", "/agents?fields=agent_type&fields=host", None, None),
]


def on_the_seed(tmp_path, requests, monkeypatch) -> str:
    return replay(lambda: make_api(tmp_path / "s.sqlite"), requests, monkeypatch)


def test_an_empty_cloud_grows_and_empties_as_recorded(tmp_path, monkeypatch):
    text = replay(lambda: make_api(tmp_path / "s.sqlite", seed=empty(tmp_path)),
                  GROW, monkeypatch)
    text += "=== a cloud without a network node\n" + replay(
        lambda: make_api(tmp_path / "t.sqlite", seed=empty(tmp_path, NODES[1:])),
        NO_NETWORK_NODE, monkeypatch)
    check("api_empty.txt", text, "the API's answers on an empty cloud")


# ports' addresses every way Neutron takes them, on the seed cloud plus a network with SLAAC
A2 = "45957f77-79a1-44cd-8188-1ab410ddce44"
DHCP_A = "6a1f3e2d-0c4b-4d5a-9e8f-7a6b5c4d3e2a"
ADDRESSES = [
    ("POST", "/networks", {"network": {"name": "auto"}}, "auto"),
    ("POST", "/subnets", {"subnet": {"network_id": "{auto}", "cidr": "10.90.0.0/24",
                                     "enable_dhcp": False}}, "a4"),
    ("POST", "/subnets", {"subnet": {"network_id": "{auto}", "cidr": "fd90::/64",
                                     "ip_version": 6, "ipv6_address_mode": "slaac",
                                     "ipv6_ra_mode": "slaac"}}, "a6"),
    ("POST", "/networks", {"network": {"name": "ra-only"}}, "ra"),
    ("POST", "/subnets", {"subnet": {"network_id": "{ra}", "cidr": "fd91::/64",
                                     "ip_version": 6, "ipv6_ra_mode": "dhcpv6-stateless"}},
     "r6"),
    ("POST", "/ports", {"port": {"network_id": "{ra}", "mac_address": "fa:16:3e:91:00:01"}},
     None),
    ("POST", "/ports", {"port": {"network_id": "{auto}", "mac_address": "fa:16:3e:90:00:01"}},
     "p1"),
    ("POST", "/ports", {"port": {"network_id": "{auto}", "mac_address": "fa:16:3e:90:00:02",
                                 "fixed_ips": [{"subnet_id": "{a6}"}]}}, None),
    ("POST", "/ports", {"port": {"network_id": "{auto}", "mac_address": "fa:16:3e:90:00:03",
                                 "fixed_ips": [{"subnet_id": "{a4}"}, {"subnet_id": "{a4}"}]}},
     None),
    ("POST", "/ports", {"port": {"network_id": "{auto}",
                                 "fixed_ips": [{"subnet_id": "{a6}", "ip_address": "fd90::9"}]}},
     None),
    ("POST", "/ports", {"port": {"network_id": "{auto}", "fixed_ips": ["10.90.0.5"]}}, None),
    ("POST", "/ports", {"port": {"network_id": "{auto}", "fixed_ips": [{}]}}, None),
    ("POST", "/ports", {"port": {"network_id": "{auto}",
                                 "fixed_ips": [{"ip_address": "10.90.0.7", "mac": "x"}]}}, None),
    ("POST", "/ports", {"port": {"network_id": "{auto}",
                                 "fixed_ips": [{"ip_address": "ten"}]}}, None),
    ("POST", "/ports", {"port": {"network_id": "{auto}",
                                 "fixed_ips": [{"subnet_id": "{a4}",
                                                "ip_address": "10.91.0.7"}]}}, None),
    ("POST", "/ports", {"port": {"network_id": "{auto}",
                                 "fixed_ips": [{"ip_address": "10.90.0.50"},
                                               {"ip_address": "10.90.0.50"}]}}, None),
    ("POST", "/ports", {"port": {"network_id": "{auto}",
                                 "fixed_ips": [{"subnet_id": SUB_A4}]}}, None),
    ("PUT", f"/ports/{A2}", {"port": {"fixed_ips": [{"ip_address": "10.0.0.5"}]}}, None),
    ("PUT", f"/ports/{A2}", {"port": {"fixed_ips": [{"ip_address": "10.0.0.4"}]}}, None),
    ("PUT", f"/ports/{A2}", {"port": {"fixed_ips": [{"subnet_id": SUB_A4}]}}, None),
    ("PUT", f"/ports/{A2}", {"port": {"fixed_ips": []}}, None),
    ("PUT", "/ports/{p1}", {"port": {"mac_address": "fa:16:3e:90:00:09"}}, None),
    ("PUT", "/ports/{p1}", {"port": {"fixed_ips": [{"subnet_id": "{a6}"}],
                                     "binding:profile": {"x": 1}}}, None),
    ("PUT", "/ports/{p1}", {"port": {"binding:profile": {}, "device_id": "vm-9",
                                     "device_owner": "compute:az2"}}, None),
    ("PUT", f"/ports/{DHCP_A}", {"port": {"name": "the dhcp port", "description": "d"}},
     None),
    ("PUT", f"/ports/{DHCP_A}", {"port": {"binding:host_id": "compute1"}}, None),
    ("DELETE", f"/ports/{DHCP_A}", None, None),
    ("GET", "/ports?network_id={auto}&sort_key=mac_address", None, None),
    ("GET", f"/ports/{A2}", None, None),
    # subnets and ports refused, and a subnet still in use by a port behind the DHCP port
    ("POST", "/networks", {"network": {"name": "busy"}}, "busy"),
    ("POST", "/subnets", {"subnet": {"network_id": "{busy}", "cidr": "10.92.0.0/24"}}, "b4"),
    ("POST", "/subnets", {"subnet": {"network_id": "{busy}", "cidr": "fd92::/64",
                                     "ip_version": 6}}, None),
    ("POST", "/ports", {"port": {"network_id": "{busy}", "name": "user"}}, "user"),
    ("DELETE", "/subnets/{b4}", None, None),
    ("PUT", "/subnets/{b4}", {"subnet": {"allocation_pools": []}}, None),
    ("PUT", "/subnets/{b4}", {"subnet": {"dns_nameservers": ["8.8.8.8", "8.8.8.8"]}}, None),
    ("POST", "/subnets", {"subnet": {"cidr": "10.93.0.0/24"}}, None),
    ("POST", "/subnets", {"subnet": {"network_id": "{busy}"}}, None),
    ("POST", "/subnets", {"subnet": {"network_id": "{busy}", "prefixlen": 24}}, None),
    ("POST", "/subnets", {"subnet": {"network_id": "{busy}",
                                     "use_default_subnet_pool": True}}, None),
    ("POST", "/ports", {"port": {"name": "nowhere"}}, None),
    ("POST", "/ports", {"port": {"network_id": "{busy}", "device_owner": "baremetal:x"}},
     None),
    ("POST", "/ports", {"port": {"network_id": "{busy}", "admin_state_up": False}}, None),
    ("POST", "/ports", {"port": {"network_id": "{busy}", "port_security_enabled": False}},
     None),
    ("PUT", "/ports/{user}", {"port": {"binding:host_id": "compute1",
                                       "binding:profile": {"k": "v"}}}, None),
    ("PUT", "/ports/{user}", {"port": {"binding:host_id": ""}}, None),
    ("DELETE", "/ports/{user}", None, None),
    ("DELETE", "/subnets/{b4}", None, None),
    ("GET", "/ports?network_id={busy}", None, None),
]


def test_addresses_of_ports_as_recorded(tmp_path, monkeypatch):
    check("api_addresses.txt", on_the_seed(tmp_path, ADDRESSES, monkeypatch),
          "the API's answers about addresses")


# how lists are asked for, and how attributes are read, at their edges
QUERIES = [
    ("GET", "/networks?sort_dir=asc", None, None),
    ("GET", "/networks?sort_key=name&sort_key=id&sort_dir=asc", None, None),
    ("GET", "/networks?sort_key=name&sort_dir=sideways", None, None),
    ("GET", "/networks?sort_key=provider:network_type&sort_key=name&fields=name", None, None),
    ("GET", "/networks?sort_key=mtu&sort_dir=desc&fields=name&fields=mtu", None, None),
    ("GET", "/subnets?enable_dhcp=1&fields=name", None, None),
    ("GET", "/subnets?enable_dhcp=False&fields=name", None, None),
    ("GET", "/subnets?enable_dhcp=maybe", None, None),
    ("GET", "/ports?name=vm-a1&fixed_ips=ip_address%3D10.0.0.4&fields=name", None, None),
    ("GET", "/ports?name=vm-b1&fixed_ips=ip_address%3D10.0.0.4&fields=name&tags=x", None,
     None),
    ("GET", "/ports?fixed_ips=ip_address%3D10.0.0.4&name=vm-a2&fields=name", None, None),
    ("GET", "/networks?id=not-a-uuid", None, None),
    ("GET", "/routers?limit=2&fields=name", None, None),
    ("GET", "/routers?limit=1&marker=45765633-1bd6-41c7-bdfc-7d425818135a&fields=id",
     None, None),
    ("POST", "/networks", {"network": {"name": "x"}, "extra": 1}, None),
    ("POST", "/networks", {"network": {"name": "t", "tenant_id": "e" * 32}}, None),
    ("POST", "/networks", {"network": {"name": "t", "project_id": ""}}, None),
    ("POST", "/networks", {"network": {"name": "s1", "shared": 1}}, None),
    ("POST", "/networks", {"network": {"name": "s2", "shared": "FALSE"}}, None),
    ("POST", "/networks", {"network": {"name": "s3", "shared": 2}}, None),
    ("POST", "/networks", {"network": {"name": "s4", "shared": "0"}}, None),
    ("POST", "/networks", {"network": {"name": "g", "provider:network_type": "gre",
                                       "provider:segmentation_id": " +77 "}}, None),
    ("POST", "/networks", {"network": {"name": "g2", "provider:network_type": "gre",
                                       "provider:segmentation_id": "7.5"}}, None),
    ("POST", "/subnets", {"subnet": {"network_id": NET_C, "cidr": "fd07::/64",
                                     "ip_version": 6, "gateway_ip": ""}}, None),
    ("GET", "/networks?fields=name&fields=shared&fields=project_id&sort_key=name", None,
     None),
    ("GET", "/networks.json?fields=name", None, None),
    ("GET", f"/networks/{NET_C}.json?fields=name", None, None),
    ("GET", "/nodes/compute1", None, None),
    ("GET", "/nodes/compute9", None, None),
    ("GET", "/agents/73fd0567-2bc7-55d2-ab8d-30dc83656117?fields=host&fields=binary", None,
     None),
    ("POST", "/nodes", {"node": {"name": "compute3"}}, None),
    ("GET", "/routers/45765633-1bd6-41c7-bdfc-7d425818135a/add_router_interface", None, None),
    ("DELETE", "/networks", None, None),
    ("PUT", f"/networks/{NET_C}", {"network": {"router:external": True}}, None),
    ("PUT", f"/networks/{NET_C}", {"network": {"admin_state_up": False}}, None),
    ("PUT", f"/networks/{NET_C}", {"network": {"port_security_enabled": False}}, None),
    ("PUT", f"/networks/{NET_C}", {"network": {"shared": True, "mtu": 1400}}, None),
    ("PUT", f"/subnets/{SUB_C4}/tags/red", None, None),
    ("GET", "/subnets?tags=red&fields=name&fields=tags", None, None),
    ("PUT", "/routers/00000000-0000-4000-8000-000000000000/tags/x", None, None),
    ("PUT", "/subnets/00000000-0000-4000-8000-000000000000/tags/x", None, None),
    ("PUT", "/floatingips/beabcafe-044d-43f2-bed9-7597d9dfe051/tags", {"tags": ["b", "a"]},
     None),
]


def test_queries_and_attribute_readings_as_recorded(tmp_path, monkeypatch):
    check("api_queries.txt", on_the_seed(tmp_path, QUERIES, monkeypatch),
          "the API's answers to queries")


# routers and floating IPs asked about things that are not there, or not free
L3_EDGES = [
    ("PUT", f"/routers/{NOWHERE}", {"router": {"name": "x"}}, None),
    ("DELETE", f"/routers/{NOWHERE}", None, None),
    ("PUT", f"/routers/{NOWHERE}/add_router_interface", {"subnet_id": SUB_A4}, None),
    ("PUT", f"/floatingips/{NOWHERE}", {"floatingip": {"port_id": None}}, None),
    ("DELETE", f"/floatingips/{NOWHERE}", None, None),
    ("POST", "/floatingips", {"floatingip": {"floating_network_id": NOWHERE}}, None),
    ("POST", "/routers", {"router": {"external_gateway_info": {"network_id": NOWHERE}}}, None),
    ("POST", "/networks", {"network": {"name": "v6only"}}, "v6"),
    ("POST", "/subnets", {"subnet": {"network_id": "{v6}", "cidr": "fd66::/64",
                                     "ip_version": 6}}, "v6s"),
    ("POST", "/ports", {"port": {"network_id": "{v6}"}}, "v6p"),
    ("POST", "/floatingips", {"floatingip": {"floating_network_id": EXT,
                                             "port_id": "{v6p}"}}, None),
    ("POST", "/ports", {"port": {"network_id": NET_C, "device_id": "someone"}}, "owned"),
    ("PUT", f"/routers/{R_C}/add_router_interface", {"port_id": "{owned}"}, None),
    ("POST", "/ports", {"port": {"network_id": NET_C, "binding:host_id": "compute1"}},
     "bound"),
    ("PUT", f"/routers/{R_C}/add_router_interface", {"port_id": "{bound}"}, None),
    ("PUT", f"/routers/{R_C}/remove_router_interface", {"subnet_id": SUB_C4,
                                                         "port_id": "{bound}"}, None),
    ("PUT", f"/routers/{R_C}/remove_router_interface", {}, None),
    ("DELETE", "/floatingips/beabcafe-044d-43f2-bed9-7597d9dfe051", None, None),
    ("GET", "/floatingips", None, None),
    ("POST", "/floatingips", {"floatingip": {"floating_network_id": EXT}}, "only"),
    ("GET", "/floatingips?fields=floating_ip_address", None, None),
]


def test_routers_and_floating_ips_asked_about_what_is_not_there(tmp_path, monkeypatch):
    check("api_l3_edges.txt", on_the_seed(tmp_path, L3_EDGES, monkeypatch),
          "the API's answers at L3's edges")
