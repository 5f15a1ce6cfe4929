"""Walk 4 of seed 002: DHCP over the tunnel. TenantA-Net has DHCP on: its DHCP port lives in
the network node's qdhcp namespace with dnsmasq; its VMs configure IPv4 by DHCP. A third
compute hosts only TenantB-Net and must never see TenantA's DHCP."""
import pytest
import yaml

from cloud.naming import BR_TUN, tunnel_port_name
from mininet_topos import walks
from tests.conftest import dhcp_raw
from tests.integration.conftest import run_deployment

@pytest.fixture(scope="module")
def cloud_dhcp(tmp_path_factory):
    path = tmp_path_factory.mktemp("dhcp") / "dhcp.yaml"
    path.write_text(yaml.safe_dump(dhcp_raw(), sort_keys=False))
    yield from run_deployment(path)


def test_vms_of_a_dhcp_network_get_address_gateway_and_mtu_by_dhcp(cloud_dhcp):
    d = cloud_dhcp
    for name, ip, mtu in (("vm-a1", "10.0.0.4", "1450"), ("vm-a3", "10.0.0.6", "1450")):
        out = d.ec.vm_run(name, "sh", "-c", "ip -4 -o addr show dev eth0; ip -4 route; "
                          "cat /sys/class/net/eth0/mtu").stdout
        assert f"inet {ip}/24" in out and "default via 10.0.0.1" in out, out
        assert out.split()[-1] == mtu, out
    leases = open(f"{d.ec.rundir}/dhcp/{d.cloud.network('84191af8-269f-485a-b394-85d79e53a39a').id}"
                  "/leases").read()
    assert "fa:16:3e:eb:06:2d 10.0.0.4" in leases and "fa:16:3e:49:00:b5 10.0.0.6" in leases
    out = d.ec.vm_run("vm-b1", "sh", "-c", "ip -4 route; cat /sys/class/net/eth0/mtu").stdout
    assert "default via 10.0.0.1" in out and out.split()[-1] == "1458", "GRE's MTU by DHCP"


@pytest.mark.parametrize("vm", ["vm-a1", "vm-b3", "vm-b4"])
def test_walk4_dhcp_exchange_reaches_only_the_network_node(cloud_dhcp, vm):
    """The VM asks again from scratch (walks.walk4): the qdhcp namespace sees DISCOVER and
    REQUEST broadcast, OFFER and ACK unicast; the VM's node sends the requests to the network
    node only, the replies come back unicast; no other compute (compute3 hosts TenantB only,
    compute2 hosts both) sees any DHCP."""
    check = walks.walk4(cloud_dhcp, vm)
    assert check.passed, str(check)


def test_the_dhcp_namespace_and_dnsmasq_are_recorded_for_teardown(cloud_dhcp):
    d = cloud_dhcp
    assert any(e["program"] == "dnsmasq" for e in d.ec.state.data["pids"])
    assert d.ec.state.data["netns"] == [
        "qdhcp-84191af8-269f-485a-b394-85d79e53a39a", "qdhcp-4b9ccec6-0d8c-496c-bad3-a26ce01af708",
        "qdhcp-d4d4d4d4-1010-4d4d-8d4d-000000000101"] + [r.namespace for r in d.cloud.routers]


def test_a_tunnel_no_network_needs_any_more_is_removed(cloud_dhcp):
    """l2pop tunnels follow the ports: compute3 shares only GRE (TenantB) with compute1; a
    VXLAN network with ports on both brings VXLAN tunnels between them, deleting the port
    on compute3 removes them again. (Here, where compute3 makes the cloud uneven.)"""
    d = cloud_dhcp
    api = d.api
    net = api.create("networks", name="TenantF-Net", **{"provider:network_type": "vxlan"})
    api.create("subnets", network_id=net["id"], cidr="10.6.0.0/24")
    p1 = api.create("ports", network_id=net["id"], **{"binding:host_id": "compute1"})
    p3 = api.create("ports", network_id=net["id"], **{"binding:host_id": "compute3"})
    cloud = d.refresh()
    d.wait_converged(20)
    to_c3 = tunnel_port_name("vxlan", cloud.node("compute3").tunnel_ip)
    to_c1 = tunnel_port_name("vxlan", cloud.node("compute1").tunnel_ip)
    assert to_c3 in d.ovs["compute1"].ofports(BR_TUN)
    assert to_c1 in d.ovs["compute3"].ofports(BR_TUN)
    api.delete("ports", p3["id"])
    d.refresh()
    d.wait_converged(20)
    assert to_c3 not in d.ovs["compute1"].ofports(BR_TUN)
    assert to_c1 not in d.ovs["compute3"].ofports(BR_TUN)
    api.delete("ports", p1["id"])
    api.delete("networks", net["id"])
    d.refresh()
    d.wait_converged(20)
