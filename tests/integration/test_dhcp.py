"""Walk 4 of seed 002: DHCP over the tunnel. TenantA-Net has DHCP on: its DHCP port lives in
the network node's qdhcp namespace with dnsmasq; its VMs configure IPv4 by DHCP. A third
compute hosts only TenantB-Net and must never see TenantA's DHCP."""
import pytest
import yaml

from cloud.model import OWNER_DHCP
from mininet_topos import dhcp, walks
from mininet_topos.node import DATA_IF
from mininet_topos.traffic import Capture
from tests.conftest import dhcp_raw
from tests.integration.conftest import run_deployment

@pytest.fixture(scope="module")
def cloud_dhcp(tmp_path_factory):
    path = tmp_path_factory.mktemp("dhcp") / "dhcp.yaml"
    path.write_text(yaml.safe_dump(dhcp_raw(), sort_keys=False))
    yield from run_deployment(path)


def capture(d, pid, iface, bpf=""):
    return Capture(pid, iface, bpf, on_start=lambda p: d.ec.state.add_pid(p, "tcpdump"))


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
    out = d.ec.vm_run("vm-b1", "ip", "-4", "route").stdout  # TenantB: static, as before
    assert "default via 10.0.0.1" in out


def test_walk4_dhcp_exchange_reaches_only_the_network_node(cloud_dhcp):
    """vm-a1 asks again from scratch: the qdhcp namespace sees DISCOVER, OFFER, REQUEST, ACK;
    compute1's data link carries the broadcasts to the network node only and the replies
    back as unicast; compute3 (TenantB only) sees no DHCP at all."""
    d = cloud_dhcp
    net = d.cloud.network("84191af8-269f-485a-b394-85d79e53a39a")
    server = next(p for p in d.cloud.ports if p.device_owner == OWNER_DHCP)
    with open(f"{d.ec.rundir}/dhcp/{net.id}/dnsmasq.pid") as fh:
        in_qdhcp = int(fh.read())  # dnsmasq lives in the qdhcp namespace
    a1 = walks.port(d, "vm-a1")
    script = dhcp.write_client_script(d.ec.rundir)
    with capture(d, in_qdhcp, dhcp.ns_name(server), "udp port 67 or udp port 68") as ns, \
            capture(d, d.ec.host("compute1").pid, DATA_IF, "") as wire1, \
            capture(d, d.ec.host("compute3").pid, DATA_IF, "") as wire3:
        d.ec.vm_run("vm-a1", *dhcp.client_argv(script))
    # DISCOVER and REQUEST (broadcast, from vm-a1), OFFER and ACK (unicast, to vm-a1)
    assert ns.count("ff:ff:ff:ff:ff:ff", f"BOOTP/DHCP, Request from {a1.mac}") == 2, \
        "\n".join(ns.packets)
    assert ns.count(f"{server.mac} > {a1.mac}", "BOOTP/DHCP, Reply") == 2, \
        "\n".join(ns.packets)
    requests = [p for p in wire1.packets if "BOOTP/DHCP, Request" in p]
    replies = [p for p in wire1.packets if "BOOTP/DHCP, Reply" in p]
    assert requests and replies, "\n".join(wire1.packets)
    # the broadcasts go to the DHCP server's node only (not to compute2, which hosts vm-a3 of
    # the same network, and never to compute3)
    assert all("> 192.168.100.10.4789" in p for p in requests), "\n".join(requests)
    assert all(f"> {a1.mac}" in p for p in replies), "replies come back unicast"
    assert wire3.count("BOOTP/DHCP") == 0, "\n".join(wire3.packets)


def test_the_dhcp_namespace_and_dnsmasq_are_recorded_for_teardown(cloud_dhcp):
    d = cloud_dhcp
    assert any(e["program"] == "dnsmasq" for e in d.ec.state.data["pids"])
    assert d.ec.state.data["netns"] == [
        "qdhcp-84191af8-269f-485a-b394-85d79e53a39a"]
