"""The real OpenStack clients drive the lab: python-openstackclient and openstacksdk, as a
user types and scripts them, against the live seed cloud with token authentication (a
clouds.yaml with keystoneauth's admin_token plugin). Each command's output is checked, and
what it did is checked on the cloud itself: DHCP leases, pings, floating IPs from the
external host, the agents."""
import json
import os
import subprocess
import sys

import pytest

from controller.client import ApiError, Client
from mininet_topos import converge, openstack_env, walks
from mininet_topos.netns import in_netns
from mininet_topos.traffic import ping
from mininet_topos.walks import poll_until
from tests.support.bad_requests import BAD, NET_D

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # the SDK's own
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")]
OPENSTACK = os.path.join(os.path.dirname(sys.executable), "openstack")


@pytest.fixture(scope="module")
def osenv(seed):
    """The clouds.yaml of the running cloud, and the network node's agent following it."""
    path = seed.clouds_yaml()
    seed.start_agent(interval=0.5)
    return dict(os.environ, **openstack_env.env(path))


def osc(env, *argv, fmt=True):
    """`openstack ARGV -f json`: the parsed output (or the text, fmt=False)."""
    proc = subprocess.run([OPENSTACK, *argv, *(["-f", "json"] if fmt else [])], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"openstack {' '.join(argv)}:\n{proc.stderr}"
    return json.loads(proc.stdout) if fmt and proc.stdout.strip() else proc.stdout


def osc_fails(env, *argv) -> str:
    proc = subprocess.run([OPENSTACK, *argv], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0, proc.stdout
    return proc.stderr


def test_networks(osenv):
    plain = osc(osenv, "network", "create", "plain-net")
    assert plain["provider:network_type"] == "vxlan" and plain["status"] == "ACTIVE"
    assert plain["mtu"] == 1450 and plain["port_security_enabled"] is True
    gre = osc(osenv, "network", "create", "--provider-network-type", "gre",
              "--provider-segment", "7460", "gre-net")
    assert (gre["provider:network_type"], gre["provider:segmentation_id"]) == ("gre", 7460)
    osc(osenv, "network", "set", "--name", "gre-net-2", "--description", "tier two", "gre-net",
        fmt=False)
    shown = osc(osenv, "network", "show", "gre-net-2")
    assert shown["description"] == "tier two" and shown["revision_number"] == \
        gre["revision_number"] + 1
    # seed 003's provider networks, as an admin creates them
    vlan = osc(osenv, "network", "create", "--provider-network-type", "vlan",
               "--provider-physical-network", "physnet1", "--provider-segment", "100",
               "vlan-net")
    assert (vlan["provider:network_type"], vlan["provider:physical_network"],
            vlan["provider:segmentation_id"], vlan["mtu"]) == ("vlan", "physnet1", 100, 1500)
    auto = osc(osenv, "network", "create", "--provider-network-type", "vlan", "vlan-auto")
    assert (auto["provider:physical_network"], auto["provider:segmentation_id"]) == (
        "physnet1", 103)   # the lowest free of physnet1's 100:199 (101, 102 the seed's)
    assert "VLAN 100 on physical network physnet1 is in use" in osc_fails(
        osenv, "network", "create", "--provider-network-type", "vlan",
        "--provider-physical-network", "physnet1", "--provider-segment", "100", "again")
    assert "Physical network physnet1 is in use" in osc_fails(
        osenv, "network", "create", "--provider-network-type", "flat",
        "--provider-physical-network", "physnet1", "flat-again")
    osc(osenv, "network", "delete", "vlan-net", "vlan-auto", fmt=False)
    listed = osc(osenv, "network", "list", "--provider-network-type", "gre", "--long")
    assert {n["Name"] for n in listed} == {"TenantB-Net", "gre-net-2"}
    assert "7460" in osc_fails(osenv, "network", "create", "--provider-network-type", "gre",
                               "--provider-segment", "7460", "again")
    osc(osenv, "network", "delete", "plain-net", "gre-net-2", fmt=False)
    assert {n["Name"] for n in osc(osenv, "network", "list")} == {
        "TenantA-Net", "TenantB-Net", "TenantC-Net", "TenantD-Net", "TenantE-Net",
        "TenantF-Net", "Ext-Net"}


def test_everyday_workflow(seed, osenv):
    net = osc(osenv, "network", "create", "web-net")
    sub = osc(osenv, "subnet", "create", "--network", "web-net", "--subnet-range",
              "10.30.0.0/24", "--allocation-pool", "start=10.30.0.50,end=10.30.0.99",
              "--dns-nameserver", "10.30.0.53", "web-sub")
    assert sub["enable_dhcp"] is True and sub["gateway_ip"] == "10.30.0.1"
    assert sub["allocation_pools"] == [{"start": "10.30.0.50", "end": "10.30.0.99"}]
    v6 = osc(osenv, "subnet", "create", "--network", "web-net", "--ip-version", "6",
             "--subnet-range", "fd30::/64", "web-sub6")
    assert v6["ip_version"] == 6 and v6["gateway_ip"] == "fd30::1"
    assert osc(osenv, "subnet", "show", "web-sub")["dns_nameservers"] == ["10.30.0.53"]
    assert {s["Name"] for s in osc(osenv, "subnet", "list", "--network", "web-net")} == {
        "web-sub", "web-sub6"}

    # a port created unbound, with its address and MAC, then bound as Nova binds it
    one = osc(osenv, "port", "create", "--network", "web-net", "--fixed-ip",
              "subnet=web-sub,ip-address=10.30.0.60", "--mac-address", "fa:16:3e:30:00:01",
              "web-1")
    assert (one["status"], one["binding_vif_type"], one["binding_host_id"]) == \
        ("DOWN", "unbound", "")
    assert [f["ip_address"] for f in one["fixed_ips"]] == ["10.30.0.60"]  # as asked
    osc(osenv, "port", "set", "--host", "compute1", "web-1", fmt=False)
    two = osc(osenv, "port", "create", "--network", "web-net", "--host", "compute2", "web-2")
    assert two["binding_vif_type"] == "ovs"
    seed.plug(one["id"])
    seed.plug(two["id"])
    seed.wait_converged(30)
    # web-1 got its address from the network node's dnsmasq, and reaches web-2
    conf = seed.ec.vm_run("web-1", "ip", "-4", "-o", "addr", "show", "dev", "eth0").stdout
    assert "inet 10.30.0.60/24" in conf
    two_ip = next(f["ip_address"] for f in two["fixed_ips"] if "." in f["ip_address"])
    assert ping(seed.ec.host("web-1").pid, two_ip, count=3, interval=0.05).ok
    shown = poll_until(lambda: osc(osenv, "port", "show", "web-1"),
                       lambda p: p["status"] == "ACTIVE", 20)
    assert shown["status"] == "ACTIVE" and shown["binding_host_id"] == "compute1"
    on_net = {p["Name"] for p in osc(osenv, "port", "list", "--network", "web-net")}
    assert on_net == {"web-1", "web-2", ""}  # and the DHCP port
    dhcp = osc(osenv, "port", "list", "--network", "web-net", "--device-owner",
               "network:dhcp")
    assert len(dhcp) == 1 and dhcp[0]["Fixed IP Addresses"][0]["ip_address"] == "10.30.0.50"
    assert "web-1" in {p["Name"] for p in osc(osenv, "port", "list", "--host", "compute1")}
    assert "web-1" not in {p["Name"] for p in osc(osenv, "port", "list", "--host",
                                                  "compute2")}
    # a move: the VM goes, the port is bound to compute2, the VM comes back there
    seed.unplug("web-1")
    osc(osenv, "port", "set", "--host", "compute2", "web-1", fmt=False)
    assert osc(osenv, "port", "show", "web-1")["binding_host_id"] == "compute2"
    seed.plug(one["id"])
    seed.wait_converged(30)
    assert ping(seed.ec.host("web-1").pid, two_ip, count=3, interval=0.05).ok

    # a router with a gateway and the subnet; a floating IP, unassociated first
    router = osc(osenv, "router", "create", "web-router")
    osc(osenv, "router", "set", "--external-gateway", "Ext-Net", "web-router", fmt=False)
    osc(osenv, "router", "add", "subnet", "web-router", "web-sub", fmt=False)
    shown = osc(osenv, "router", "show", "web-router")
    assert [(i["subnet_id"], i["ip_address"]) for i in shown["interfaces_info"]] == [
        (sub["id"], "10.30.0.1")]
    assert shown["external_gateway_info"]["network_id"] == seed.cloud.external.id
    assert "already has a port" in osc_fails(osenv, "router", "add", "subnet", "web-router",
                                             "web-sub")
    fip = osc(osenv, "floating", "ip", "create", "Ext-Net")
    assert (fip["port_id"], fip["status"]) == (None, "DOWN")
    address = fip["floating_ip_address"]
    osc(osenv, "floating", "ip", "set", "--port", "web-2", address, fmt=False)
    assert osc(osenv, "floating", "ip", "show", address)["fixed_ip_address"] == two_ip
    extgw = seed.ec.host("extgw").pid
    reached = poll_until(lambda: ping(extgw, address, count=1, wait=0.5).ok, bool, 30)
    assert reached, f"extgw does not reach web-2 through {address}:\n" + \
        fip_diagnosis(seed, router["id"], address, two_ip)
    osc(osenv, "floating", "ip", "unset", "--port", address, fmt=False)
    assert osc(osenv, "floating", "ip", "show", address)["port_id"] is None
    gone = poll_until(lambda: ping(extgw, address, count=1, wait=0.5).ok, lambda ok: not ok,
                      30)
    assert not gone, f"{address} still answers after floating ip unset --port"
    osc(osenv, "floating", "ip", "delete", address, fmt=False)
    osc(osenv, "router", "remove", "subnet", "web-router", "web-sub", fmt=False)
    osc(osenv, "router", "unset", "--external-gateway", "web-router", fmt=False)
    shown = osc(osenv, "router", "show", "web-router")
    assert shown["interfaces_info"] == [] and shown["external_gateway_info"] is None
    osc(osenv, "router", "delete", router["id"], fmt=False)

    # the agents: an Open vSwitch agent per node, the network node's DHCP and L3 agents
    agents = osc(osenv, "network", "agent", "list")
    kinds = sorted((a["Agent Type"], a["Host"]) for a in agents)
    assert kinds == sorted([("Open vSwitch agent", n.name) for n in seed.cloud.nodes] +
                           [("DHCP agent", "network"), ("L3 agent", "network")])
    assert all(a["Alive"] for a in agents), agents

    # and away again: nothing of it is left in the cloud or on the switches
    seed.unplug("web-1")
    seed.unplug("web-2")
    osc(osenv, "port", "delete", "web-1", "web-2", fmt=False)
    osc(osenv, "subnet", "delete", "web-sub", "web-sub6", fmt=False)
    osc(osenv, "network", "delete", net["id"], fmt=False)
    cloud = seed.sync_services()
    seed.wait_converged(30)
    assert not [n for n in cloud.networks if n.name == "web-net"]
    assert f"qdhcp-{net['id']}" not in os.listdir("/run/netns")
    assert all(r.ok for r in converge.check(cloud, seed.ovs))


def fip_diagnosis(seed, router_id: str, address: str, fixed: str) -> str:
    """What a floating IP that does not answer looks like: the router's namespace (addresses,
    NAT, neighbours, its own pings), the switches against the cloud, and whether one more
    sync by hand (the agent's work) makes it answer."""
    ns, out = f"qrouter-{router_id}", []
    for argv in (["ip", "-4", "addr"], ["ip", "route"], ["ip", "neigh"],
                 ["iptables-save", "-t", "nat"], ["ping", "-c", "1", "-W", "1", fixed]):
        proc = in_netns(ns, *argv, check=False)
        out.append(f"$ {' '.join(argv)} (in {ns})\n{proc.stdout}{proc.stderr}")
    out += [f"converged: {r.node}/{r.bridge}: {r.ok}" for r in converge.check(seed.cloud,
                                                                              seed.ovs)]
    seed.sync_services()
    again = ping(seed.ec.host("extgw").pid, address, count=3, wait=1).ok
    out.append(f"after one more sync_services by hand: {'answers' if again else 'still not'}")
    out.append(seed.controller.log_text()[-3000:])
    return "\n".join(out)


def test_security_groups(seed, osenv):
    """What people type for security groups, each checked on the cloud itself: a group
    created with Neutron's two egress rules, a rule by remote group, a port put in it and
    taken out, an allowed address pair, port security off and on again, the group deleted
    (refused while a port uses it)."""
    web = osc(osenv, "security", "group", "create", "--description", "web tier", "web")
    assert sorted((r["direction"], r["ethertype"]) for r in web["rules"]) == [
        ("egress", "IPv4"), ("egress", "IPv6")]
    rule = osc(osenv, "security", "group", "rule", "create", "--protocol", "tcp",
               "--dst-port", "8080", "--remote-group", "default", "web")
    assert (rule["remote_group_id"], rule["port_range_min"], rule["port_range_max"]) == \
        (walks.port(seed, "vm-a1").security_groups[0], 8080, 8080)
    assert "web" in {g["Name"] for g in osc(osenv, "security", "group", "list")}
    shown = osc(osenv, "security", "group", "show", "web")
    assert shown["description"] == "web tier" and len(shown["rules"]) == 3

    osc(osenv, "port", "set", "--security-group", "web", "vm-a2", fmt=False)
    port = osc(osenv, "port", "show", "vm-a2")
    assert set(port["security_group_ids"]) == {web["id"], rule["remote_group_id"]}
    assert "in use" in osc_fails(osenv, "security", "group", "delete", "web")
    osc(osenv, "port", "set", "--allowed-address", "ip-address=10.0.0.100", "vm-a2",
        fmt=False)
    pairs = osc(osenv, "port", "show", "vm-a2")["allowed_address_pairs"]
    assert [p["ip_address"] for p in pairs] == ["10.0.0.100"]
    cloud = seed.refresh()
    seed.wait_converged(30)
    assert all(r.ok for r in converge.check(cloud, seed.ovs))
    # (as against Neutron, which fills in the MAC: unset names the pair as shown)
    mac = walks.port(seed, "vm-a2").mac
    osc(osenv, "port", "unset", "--allowed-address", f"ip-address=10.0.0.100,mac-address={mac}",
        "--security-group", "web", "vm-a2", fmt=False)
    osc(osenv, "port", "set", "--no-security-group", "--disable-port-security", "vm-a2",
        fmt=False)
    off = osc(osenv, "port", "show", "vm-a2")
    assert (off["port_security_enabled"], off["security_group_ids"]) == (False, [])
    osc(osenv, "port", "set", "--enable-port-security", "--security-group", "default",
        "vm-a2", fmt=False)
    osc(osenv, "security", "group", "delete", "web", fmt=False)
    assert "web" not in {g["Name"] for g in osc(osenv, "security", "group", "list")}
    cloud = seed.refresh()
    seed.wait_converged(30)
    assert walks.port(seed, "vm-a2").security_groups == (rule["remote_group_id"],)
    assert all(r.ok for r in converge.check(cloud, seed.ovs))


def test_no_dhcp_subnet(osenv):
    osc(osenv, "network", "create", "quiet-net", fmt=False)
    sub = osc(osenv, "subnet", "create", "--network", "quiet-net", "--no-dhcp",
              "--subnet-range", "10.32.0.0/24", "--gateway", "none", "quiet-sub")
    assert sub["enable_dhcp"] is False and sub["gateway_ip"] is None
    assert osc(osenv, "port", "list", "--network", "quiet-net") == []
    osc(osenv, "network", "delete", "quiet-net", fmt=False)


def test_the_sdk(seed, osenv, monkeypatch):
    """openstacksdk's core flow: find by name, filtered listings, create, bind, delete."""
    import openstack
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", osenv["OS_CLIENT_CONFIG_FILE"])
    conn = openstack.connect(cloud=openstack_env.CLOUD)
    net_a = conn.network.find_network("TenantA-Net")
    assert net_a.provider_segmentation_id == 5000
    assert {p.name for p in conn.network.ports(network_id=net_a.id)} == {
        "vm-a1", "vm-a2", "vm-a3", "dhcp-a", "qr-tenant-a"}
    assert {s.cidr for s in conn.network.subnets(network_id=net_a.id)} == {"10.0.0.0/24",
                                                                           "fd00::/64"}
    net = conn.network.create_network(name="sdk-net")
    sub = conn.network.create_subnet(network_id=net.id, cidr="10.33.0.0/24", ip_version=4,
                                     name="sdk-sub", is_dhcp_enabled=False)
    port = conn.network.create_port(network_id=net.id, name="sdk-port")
    assert port.status == "DOWN" and port.fixed_ips[0]["subnet_id"] == sub.id
    port = conn.network.update_port(port, binding_host_id="compute1")
    assert (port.binding_host_id, port.binding_vif_type) == ("compute1", "ovs")
    assert conn.network.find_port("sdk-port").id == port.id
    assert len(list(conn.network.ports(limit=2))) == len(list(conn.network.ports()))
    conn.network.delete_port(port)
    conn.network.delete_network(net)
    assert conn.network.find_network("sdk-net") is None
    seed.refresh()
    seed.wait_converged(30)


def test_bad_requests_over_http(seed, osenv):
    """Every kind of bad request against the live controller: its status and message,
    nothing changed, no traceback; the controller alive and every bridge exact after."""
    api = seed.api
    with pytest.raises(ApiError) as no_token:
        Client(seed.controller.api_url).list("networks")
    assert no_token.value.status == 401
    for bad in BAD:
        for method, path, body in bad.setup:
            api.request(method, path, body)
        before = api.cloud()["version"]
        status, message = raw(seed, bad)
        assert status == bad.status, (bad.kind, status, message)
        assert bad.fragment in message and "Traceback" not in message, (bad.kind, message)
        assert api.cloud()["version"] == before, bad.kind
        if bad.setup:
            api.request("DELETE", f"/networks/{NET_D}")
    assert seed.controller.alive
    cloud = seed.refresh()
    seed.wait_converged(30)
    assert all(r.ok for r in converge.check(cloud, seed.ovs))


def raw(seed, bad) -> tuple[int, str]:
    """One request as it is (raw bytes and headers too), over HTTP with the token."""
    import urllib.error
    import urllib.request
    body = bad.body if isinstance(bad.body, bytes) or bad.body is None else \
        json.dumps(bad.body).encode()
    headers = {"X-Auth-Token": seed.controller.auth_token,
               "Content-Type": "application/json", **(bad.headers or {})}
    req = urllib.request.Request(seed.controller.api_url + bad.path, data=body,
                                 method=bad.method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        text = exc.read().decode()
        try:
            return exc.code, json.loads(text)["NeutronError"]["message"]
        except (ValueError, KeyError):
            return exc.code, text
