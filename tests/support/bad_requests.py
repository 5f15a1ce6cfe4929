"""Bad requests against the seed cloud, one per kind of fault: each must get its status and a
message naming the fault, and change nothing. Used over the WSGI app (tests/unit/
test_api_refusals.py) and against a live controller over HTTP (tests/integration/
test_openstack_client.py), where the controller must also stay alive and program nothing."""
from dataclasses import dataclass

from cloud.meta import DEFAULT_PROJECT
from cloud.schema_net import subnet_id
from cloud.schema_sg import default_group_id

NET_A = "84191af8-269f-485a-b394-85d79e53a39a"
NET_B = "4b9ccec6-0d8c-496c-bad3-a26ce01af708"
NET_C = "9d3c1b7e-5a2f-4c8d-b6e1-3f7a9c2d4e5b"
SUB_A4 = subnet_id(NET_A, "10.0.0.0/24")
SUB_A6 = subnet_id(NET_A, "fd00::/64")
SUB_C4 = subnet_id(NET_C, "10.0.2.0/24")
EXT = "8583f2ba-37da-4fa0-b312-f9b0979a4fea"
R_A = "45765633-1bd6-41c7-bdfc-7d425818135a"
R_C = "2f8d4a6c-9e1b-4d3a-8c7f-5b2e9d1a4c6e"
VM_A1 = "974a43e3-90a5-4066-83b1-ac819b29966b"
VM_C1 = "5c8e2a1f-7b3d-4e9a-a2c6-1d4f8b7e3a9c"
QR_A = "6defad4c-b22c-4216-8de6-8eba533f6c5b"
FIP_A1 = "beabcafe-044d-43f2-bed9-7597d9dfe051"
NOWHERE = "00000000-0000-4000-8000-000000000000"
DEFAULT_SG = default_group_id(DEFAULT_PROJECT)   # the seed's default security group
NET_D = "dddddddd-0000-4000-8000-00000000000d"   # made by a setup request, without subnets
MAKE_D = (("POST", "/networks", {"network": {"id": NET_D, "name": "TenantG-Net"}}),)
JSON = {"Content-Type": "application/json"}


def net(**attrs):
    return {"network": attrs}


def rule(**attrs):
    """A rule for the seed's default group (ingress unless said)."""
    return {"security_group_rule": {"security_group_id": DEFAULT_SG, "direction": "ingress"}
            | attrs}


def sub(**attrs):
    return {"subnet": {"network_id": NET_C, **attrs}} if "network_id" not in attrs \
        else {"subnet": attrs}


def port(**attrs):
    return {"port": {"network_id": NET_A, **attrs}}


@dataclass(frozen=True)
class Bad:
    kind: str
    method: str
    path: str          # under /v2.0
    body: object       # bytes: sent as they are
    headers: dict | None
    status: int
    fragment: str      # of the message
    setup: tuple = ()  # (method, path, body) requests that must succeed first


BAD = [row if isinstance(row, Bad) else Bad(*row) for row in [
    ("body not JSON", "POST", "/networks", b"name=x",
     {"Content-Type": "application/x-www-form-urlencoded"}, 415, "Unsupported Content-Type"),
    ("body too large", "POST", "/networks",
     b'{"network": {"name": "' + b"x" * 120000 + b'"}}', JSON, 413, "larger than the limit"),
    ("malformed JSON", "POST", "/ports", b"{not json", JSON, 400, "Malformed request body"),
    ("JSON nested too deep", "POST", "/networks",
     b'{"network": {"name": ' + b"[" * 100 + b"]" * 100 + b"}}", JSON, 400, "nested deeper"),
    ("body without its resource", "POST", "/networks", {"name": "x"}, None, 400,
     "must be an object with a 'network' object"),
    ("bulk create", "POST", "/networks", {"networks": [{"name": "x"}]}, None, 400,
     "Bulk create"),
    ("unknown attribute", "POST", "/ports", port(colour="blue"), None, 400,
     "Unrecognized attribute(s) 'colour'"),
    ("read-only attribute on create", "POST", "/networks", net(status="DOWN"), None, 400,
     "Attribute 'status' not allowed in POST"),
    ("read-only attribute on update", "PUT", f"/ports/{VM_A1}", {"port": {"network_id": NET_B}},
     None, 400, "Cannot update read-only attribute network_id"),
    ("name with a control character", "POST", "/networks", net(name="bad\x07name"), None, 400,
     "control character U+0007"),
    ("name over 255 characters", "POST", "/networks", net(name="n" * 256), None, 400,
     "is 256 characters long"),
    ("project_id and tenant_id differ", "POST", "/networks",
     net(project_id="a" * 32, tenant_id="b" * 32), None, 400, "do not match"),
    ("segmentation id not a number", "POST", "/networks",
     net(**{"provider:segmentation_id": "seven"}), None, 400, "'seven' is not an integer"),
    ("segmentation id out of range", "POST", "/networks",
     net(**{"provider:network_type": "vxlan", "provider:segmentation_id": 2 ** 24}), None,
     400, "segmentation_id out of range (1 through 16777215)"),
    ("segmentation id taken", "POST", "/networks",
     net(**{"provider:network_type": "gre", "provider:segmentation_id": "5001"}), None, 409,
     "The tunnel ID 5001 is in use"),
    ("network type not emulated", "POST", "/networks",
     net(**{"provider:network_type": "geneve"}), None, 400,
     "network_type value 'geneve' not supported"),
    ("physical network on a vxlan network", "POST", "/networks",
     net(**{"provider:physical_network": "physnet1"}), None, 400,
     "provider:physical_network specified for vxlan network"),
    ("VLAN id out of range", "POST", "/networks", net(**{
        "provider:network_type": "vlan", "provider:physical_network": "physnet1",
        "provider:segmentation_id": 4095}), None, 400,
     "segmentation_id out of range (1 through 4094)"),
    ("VLAN id taken", "POST", "/networks", net(**{
        "provider:network_type": "vlan", "provider:physical_network": "physnet1",
        "provider:segmentation_id": 101}), None, 409,
     "The VLAN 101 on physical network physnet1 is in use"),
    ("VLAN id without its physical network", "POST", "/networks", net(**{
        "provider:network_type": "vlan", "provider:segmentation_id": 150}), None, 400,
     "physical_network required for VLAN provider network"),
    ("unknown physical network", "POST", "/networks", net(**{
        "provider:network_type": "vlan", "provider:physical_network": "physnet9"}), None, 400,
     "physical_network 'physnet9' unknown for vlan provider network"),
    ("second flat network on a physical network", "POST", "/networks", net(**{
        "provider:network_type": "flat", "provider:physical_network": "physnet1"}), None, 409,
     "Physical network physnet1 is in use"),
    ("flat network without a physical network", "POST", "/networks", net(**{
        "provider:network_type": "flat"}), None, 400,
     "physical_network required for flat provider network"),
    ("flat network with a segmentation id", "POST", "/networks", net(**{
        "provider:network_type": "flat", "provider:physical_network": "physnet1",
        "provider:segmentation_id": 7}), None, 400,
     "segmentation_id specified for flat network"),
    ("MTU over a VLAN network's", "POST", "/networks", net(**{
        "provider:network_type": "vlan", "provider:physical_network": "physnet1", "mtu": 1501}),
     None, 400, "mtu 1501 out of range for vlan"),
    ("admin_state_up false", "POST", "/networks", net(admin_state_up=False), None, 400,
     "admin_state_up=false is not emulated"),
    ("boolean that is not one", "POST", "/networks", net(shared="maybe"), None, 400,
     "'maybe' cannot be converted to boolean"),
    ("MTU over what the underlay fits", "POST", "/networks", net(mtu=9000), None, 400,
     "mtu 9000 out of range for vxlan"),
    ("new external network", "POST", "/networks", net(**{"router:external": True}), None, 400,
     "router:external=true on a new network"),
    ("cidr not a subnet", "POST", "/subnets", sub(cidr="10.0.0.300/24"), None, 400,
     "is not a valid IP subnet"),
    ("cidr with host bits", "POST", "/subnets", sub(cidr="10.9.0.5/24", ip_version=4), None, 400,
     "has host bits set; did you mean '10.9.0.0/24'"),
    ("ip_version against cidr", "POST", "/subnets", sub(cidr="10.9.0.0/24", ip_version=6), None,
     400, "ip_version 6 does not match cidr 10.9.0.0/24"),
    ("second IPv4 subnet", "POST", "/subnets", sub(cidr="10.9.0.0/24"), None, 400,
     "A second IPv4 subnet on one network"),
    ("gateway is the network address", "POST", "/subnets",
     sub(cidr="fd09::/64", gateway_ip="fd09::"), None, 400,
     "gateway_ip fd09:: is the network address of fd09::/64"),
    Bad("gateway is the broadcast address", "POST", "/subnets",
        sub(network_id=NET_D, cidr="10.9.0.0/24", gateway_ip="10.9.0.255"), None, 400,
        "gateway_ip 10.9.0.255 is the broadcast address of 10.9.0.0/24", MAKE_D),
    ("gateway outside the subnet", "POST", "/subnets", sub(cidr="fd09::/64",
                                                          gateway_ip="fd08::1"),
     None, 400, "gateway_ip fd08::1 is outside fd09::/64"),
    ("pool holding the gateway", "POST", "/subnets",
     sub(cidr="fd09::/64", allocation_pools=[{"start": "fd09::1", "end": "fd09::9"}]), None,
     400, "contains the gateway_ip fd09::1"),
    ("pool outside the subnet", "POST", "/subnets",
     sub(cidr="fd09::/64", allocation_pools=[{"start": "fd08::5", "end": "fd08::9"}]), None,
     400, "is not inside one of the network's cidrs"),
    Bad("IPv6 mode on an IPv4 subnet", "POST", "/subnets",
        sub(network_id=NET_D, cidr="10.9.0.0/24", ipv6_address_mode="slaac"), None, 400,
        "ipv6_address_mode and ipv6_ra_mode are for IPv6 subnets only", MAKE_D),
    ("IPv6 mode changed", "PUT", f"/subnets/{SUB_A6}",
     {"subnet": {"ipv6_address_mode": "slaac"}}, None, 400,
     "Cannot update read-only attribute ipv6_address_mode"),
    ("IPv6 modes that disagree", "POST", "/subnets",
     sub(cidr="fd09::/64", ipv6_address_mode="slaac", ipv6_ra_mode="dhcpv6-stateful"), None,
     400, "not a valid combination"),
    ("subnet pool", "POST", "/subnets", sub(subnetpool_id=NOWHERE, prefixlen=24), None, 400,
     "Subnet pools (subnetpool_id, prefixlen, use_default_subnet_pool) is not emulated"),
    ("network id not a UUID", "POST", "/ports", {"port": {"network_id": "TenantA-Net"}}, None,
     400, "'TenantA-Net' is not a valid UUID"),
    ("port on an unknown network", "POST", "/ports", {"port": {"network_id": NOWHERE}}, None,
     404, f"Network {NOWHERE} could not be found"),
    ("port on an unknown node", "POST", "/ports", port(**{"binding:host_id": "compute9"}), None,
     400, "unknown node 'compute9'"),
    ("VM port on the network node", "POST", "/ports", port(**{"binding:host_id": "network"}),
     None, 400, "needs a compute node; network is a network node"),
    ("MAC in use", "POST", "/ports", port(mac_address="fa:16:3e:eb:06:2d"), None, 409,
     "The mac address fa:16:3e:eb:06:2d is in use"),
    ("MAC that is not one", "POST", "/ports", port(mac_address="fa:16:3e:zz:00:01"), None, 400,
     "is not a MAC address"),
    ("IP in use", "POST", "/ports", port(fixed_ips=[{"ip_address": "10.0.0.4"}]), None, 409,
     "IP address 10.0.0.4 already allocated"),
    ("IP outside the network", "POST", "/ports", port(fixed_ips=[{"ip_address": "10.9.0.5"}]),
     None, 400, "IP 10.9.0.5 is outside network TenantA-Net's subnets"),
    ("fixed IP on another network's subnet", "POST", "/ports",
     port(fixed_ips=[{"subnet_id": SUB_C4}]), None, 400, f"invalid subnet {SUB_C4}"),
    ("vnic type not emulated", "POST", "/ports", port(**{"binding:vnic_type": "direct"}), None,
     400, "binding:vnic_type 'direct'"),
    ("reserved device owner", "POST", "/ports", port(device_owner="network:dhcp"), None, 400,
     "device_owner network:dhcp is reserved"),
    ("port security off in a group", "PUT", f"/ports/{VM_A1}",
     {"port": {"port_security_enabled": False}}, None, 409,
     "Port has security group associated"),
    ("address pairs without port security", "PUT", f"/ports/{VM_A1}",
     {"port": {"port_security_enabled": False, "security_groups": [],
               "allowed_address_pairs": [{"ip_address": "10.0.0.100"}]}}, None, 409,
     "Port Security must be enabled in order to have allowed address pairs"),
    ("address pair not an address", "PUT", f"/ports/{VM_A1}",
     {"port": {"allowed_address_pairs": [{"ip_address": "10.0.0.999"}]}}, None, 400,
     "ip_address '10.0.0.999' is not an IP address or a CIDR"),
    ("unknown security group on a port", "PUT", f"/ports/{VM_A1}",
     {"port": {"security_groups": [NOWHERE]}}, None, 404,
     f"Security group {NOWHERE} does not exist"),
    ("groups on a router port", "PUT", f"/ports/{QR_A}", {"port": {"security_groups": []}},
     None, 409, "it follows what owns it"),
    ("default group deleted", "DELETE", f"/security-groups/{DEFAULT_SG}", None, None, 409,
     "Insufficient rights for removing default security group."),
    ("default group renamed", "PUT", f"/security-groups/{DEFAULT_SG}",
     {"security_group": {"name": "mine"}}, None, 409,
     "Updating default security group not allowed."),
    ("second default group", "POST", "/security-groups", {"security_group": {"name": "default"}},
     None, 409, "Default security group already exists."),
    ("unknown security group", "GET", f"/security-groups/{NOWHERE}", None, None, 404,
     f"Security group {NOWHERE} does not exist"),
    ("rule twice", "POST", "/security-group-rules",
     rule(protocol="icmp", remote_ip_prefix="0.0.0.0/0"), None, 409,
     "Security group rule already exists. Rule id is"),
    ("rule protocol unknown", "POST", "/security-group-rules", rule(protocol="tcpp"), None,
     400, "protocol 'tcpp' is not supported"),
    ("rule ports without protocol", "POST", "/security-group-rules",
     rule(port_range_min=22, port_range_max=22), None, 400, "a port range needs a protocol"),
    ("rule ports backwards", "POST", "/security-group-rules",
     rule(protocol="tcp", port_range_min=90, port_range_max=80), None, 400,
     "port_range_min 90 is greater than port_range_max 80"),
    ("rule prefix and group", "POST", "/security-group-rules",
     rule(remote_ip_prefix="10.0.0.0/8", remote_group_id=DEFAULT_SG), None, 400,
     "only one of remote_ip_prefix and remote_group may be given"),
    ("rule prefix of the other ethertype", "POST", "/security-group-rules",
     rule(ethertype="IPv6", remote_ip_prefix="10.0.0.0/8"), None, 400,
     "is not of ethertype IPv6"),
    ("rule direction", "POST", "/security-group-rules", rule(direction="inbound"), None, 400,
     "Invalid input for direction"),
    ("rule of no group", "POST", "/security-group-rules",
     rule(security_group_id=NOWHERE), None, 404, f"Security group {NOWHERE} does not exist"),
    ("rule without direction", "POST", "/security-group-rules",
     {"security_group_rule": {"security_group_id": DEFAULT_SG}}, None, 400,
     "Required attribute 'direction' not specified"),
    ("rule with an address group", "POST", "/security-group-rules",
     rule(remote_address_group_id=NOWHERE), None, 400, "is not emulated by this cloud"),
    ("rule updated", "PUT", f"/security-group-rules/{NOWHERE}",
     {"security_group_rule": {"description": "x"}}, None, 405, "PUT is not allowed"),
    ("unknown rule deleted", "DELETE", f"/security-group-rules/{NOWHERE}", None, None, 404,
     f"Security group rule {NOWHERE} does not exist"),
    ("network still in use", "DELETE", f"/networks/{NET_A}", None, None, 409,
     "one or more ports still in use"),
    ("subnet still in use", "DELETE", f"/subnets/{SUB_A4}", None, None, 409,
     "One or more ports have an IP allocation from this subnet"),
    ("router interface deleted as a port", "DELETE", f"/ports/{QR_A}", None, None, 409,
     "has device owner network:router_interface"),
    ("router with interfaces", "DELETE", f"/routers/{R_C}", None, None, 409, "still has ports"),
    ("subnet attached twice to a router", "PUT", f"/routers/{R_A}/add_router_interface",
     {"subnet_id": SUB_A4}, None, 400, f"Router already has a port on subnet {SUB_A4}"),
    ("router interface on IPv6", "PUT", f"/routers/{R_C}/add_router_interface",
     {"subnet_id": SUB_A6}, None, 400, "A router interface on an IPv6 subnet"),
    ("router interface without a subnet", "PUT", f"/routers/{R_C}/add_router_interface",
     {"network_id": NET_A}, None, 400, "Either subnet_id or port_id must be specified"),
    ("gateway on a tenant network", "POST", "/routers",
     {"router": {"external_gateway_info": {"network_id": NET_A}}}, None, 400,
     "is not an external network"),
    ("floating IP address taken", "POST", "/floatingips",
     {"floatingip": {"floating_network_id": EXT, "floating_ip_address": "10.1.101.241"}},
     None, 409, "IP address 10.1.101.241 already allocated"),
    ("second floating IP for a port", "POST", "/floatingips",
     {"floatingip": {"floating_network_id": EXT, "port_id": VM_A1}}, None, 409,
     "it already has floating IP 10.1.101.241"),
    ("floating IP for an unknown port", "PUT", f"/floatingips/{FIP_A1}",
     {"floatingip": {"port_id": NOWHERE}}, None, 404, f"Port {NOWHERE} could not be found"),
    ("gateway cleared under a floating IP", "PUT", f"/routers/{R_A}",
     {"router": {"external_gateway_info": None}}, None, 409,
     "required by one or more floating IPs"),
    ("interface removed under a floating IP", "PUT", f"/routers/{R_A}/remove_router_interface",
     {"subnet_id": SUB_A4}, None, 409, "required by one or more floating IPs"),
    ("tag with a comma", "PUT", f"/networks/{NET_A}/tags", {"tags": ["a,b"]}, None, 400,
     "contains a comma"),
    ("unknown filter", "GET", "/ports?colour=blue", None, None, 400,
     "colour is invalid attribute for filtering"),
    ("unknown sort key", "GET", "/ports?sort_key=colour", None, None, 400,
     "colour is invalid attribute for sort_key"),
    ("negative limit", "GET", "/ports?limit=-1", None, None, 400,
     "Limit must be an integer 0 or greater"),
    ("unknown marker", "GET", f"/ports?limit=1&marker={NOWHERE}", None, None, 400,
     f"marker {NOWHERE} is not in the ports"),
    ("unknown resource", "GET", "/lbaas", None, None, 404, "The resource could not be found"),
    ("unknown id", "GET", f"/routers/{NOWHERE}", None, None, 404,
     f"Router {NOWHERE} could not be found"),
    ("unknown extension", "GET", "/extensions/qos", None, None, 404,
     "Extension with alias qos does not exist"),
    ("changing a read-only collection", "DELETE", "/agents/x", None, None, 405,
     "DELETE is not allowed"),
]]
