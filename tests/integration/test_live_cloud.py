"""A live cloud: networks and ports created and deleted through the API while the seed cloud
runs, VMs plugged and unplugged as Nova would, and the switches following with minimal
bundles; a restarted controller answers the same and sends nothing."""
import json
import os
import re
import subprocess
import sys

from cloud.naming import BR_INT, BR_TUN, tap_name, tunnel_port_name
from flows import tables as t
from flows.flow import SetField
from mininet_topos import converge
from mininet_topos.traffic import ping
from mininet_topos.walks import poll_until
from tests.integration.conftest import bridge_labels
from tests.support.bad_requests import NET_A


def flows_text(d) -> dict[str, str]:
    return {f"{n}/{b}": ovs.dump_flows(b) for n, ovs in d.ovs.items() for b in (BR_INT, BR_TUN)}


def overlay(seed, *argv: str, status: int = 0) -> dict | str:
    """The `overlay` command-line client against the deployment's controller."""
    cli = os.path.join(os.path.dirname(sys.executable), "overlay")
    proc = subprocess.run([cli, "--url", seed.controller.api_url, "--token",
                           seed.controller.auth_token, *argv], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == status, proc.stderr
    if status:
        return proc.stderr
    return json.loads(proc.stdout) if "--json" in argv else proc.stdout


def test_ports_through_the_client_then_deleted_leave_nothing_behind(seed):
    """overlay net-create / subnet-create / port-create on two nodes; VMs plugged; ping;
    port-delete: no flow anywhere mentions its MAC or IP, and its node, which hosted the
    network's last port there, keeps nothing of the network."""
    api = seed.api
    net = overlay(seed, "--json", "net-create", "TenantG-Net", "--type", "gre")
    overlay(seed, "subnet-create", "TenantG-Net", "10.2.0.0/24", "--no-dhcp")
    c1 = overlay(seed, "--json", "port-create", "TenantG-Net", "--host", "compute1",
                 "--name", "vm-g1")
    c2 = overlay(seed, "--json", "port-create", "TenantG-Net", "--host", "compute2",
                 "--name", "vm-g2")
    assert "vm-g2" in overlay(seed, "port-list")
    nodes = overlay(seed, "--json", "node-list")
    assert {n["name"]: n["bridges"] for n in nodes}["compute2"] == {
        "br-int": "connected", "br-tun": "connected", "br-eth1": "connected"}
    assert "unknown node 'compute9'" in overlay(seed, "port-create", "TenantG-Net", "--host",
                                                 "compute9", status=1)
    seed.plug("vm-g1")
    seed.plug("vm-g2")
    seed.wait_converged(20)
    ip2 = c2["fixed_ips"][0]["ip_address"]
    assert ping(seed.ec.host("vm-g1").pid, ip2, count=3, interval=0.05).ok

    since = seed.controller.log_size()
    seed.unplug("vm-g2")
    overlay(seed, "port-delete", "vm-g2")
    seed.refresh()
    seed.wait_converged(20)
    for label, text in flows_text(seed).items():
        assert c2["mac_address"] not in text, f"{label} still mentions {c2['mac_address']}"
        assert f"={ip2}," not in text and f"={ip2} " not in text, f"{label} mentions {ip2}"
    # compute2 hosted the network's last port there: its local VLAN and every flow of it are
    # gone on compute2, and no node floods the network to compute2 any more; compute1's
    # firewall no longer admits vm-g2's address (its default group's remote-group rule)
    vlans = seed.controller.log_since(since)
    assert "compute2/br-int: bundle" in vlans and "compute2/br-tun: bundle" in vlans
    bundles = re.findall(r"(\S+): bundle \d+ committed", vlans)
    assert set(bundles) <= {"compute1/br-int", "compute1/br-tun", "compute2/br-int",
                            "compute2/br-tun", "network/br-tun"}, bundles
    c2_tun = converge.installed_flows(seed.ovs["compute2"], BR_TUN)
    assert not any(f.get("tunnel_id") == net["provider:segmentation_id"]
                   for f in c2_tun.values())
    c1_tun = converge.installed_flows(seed.ovs["compute1"], BR_TUN)
    seg = SetField("tunnel_id", net["provider:segmentation_id"])
    assert not [f for f in c1_tun.values() if f.table == t.FLOOD_TO_TUN and seg in f.actions], \
        "no flood flow for the network on compute1: no other node hosts it"

    seed.unplug("vm-g1")
    api.delete("ports", c1["id"])
    api.delete("networks", net["id"])
    seed.refresh()
    seed.wait_converged(20)
    for label, text in flows_text(seed).items():
        assert c1["mac_address"] not in text, label


def test_restart_with_a_populated_cloud_answers_the_same_and_sends_nothing(seed):
    api = seed.api
    net = api.create("networks", name="TenantG-Net")
    api.create("subnets", network_id=net["id"], cidr="10.3.0.0/24")
    port = api.create("ports", network_id=net["id"], name="vm-g1",
                      **{"binding:host_id": "compute2"})
    seed.plug("vm-g1")
    seed.wait_converged(20)
    before = {coll: api.list(coll) for coll in ("networks", "subnets", "ports")}
    seed.controller.stop()
    since = seed.controller.log_size()
    seed.restart_controller()
    labels = bridge_labels(seed.cloud)
    syncs = poll_until(lambda: seed.controller.first_syncs(since),
                       lambda s: len(s) == len(labels), 30)
    assert syncs == {label: 0 for label in labels}
    after = {coll: seed.api.list(coll) for coll in ("networks", "subnets", "ports")}
    assert after == before
    seed.wait_converged(20)
    seed.unplug("vm-g1")
    seed.api.delete("ports", port["id"])
    seed.api.delete("networks", net["id"])
    seed.refresh()
    seed.wait_converged(20)


def test_the_mininet_cli_plugs_and_unplugs_a_vm_of_an_api_port(seed, tmp_path):
    port = seed.api.create("ports", network_id=NET_A, name="vm-x1",
                           **{"binding:host_id": "compute2"})
    script = tmp_path / "plug.cli"
    script.write_text("plug vm-x1\n")
    with open(os.devnull) as stdin:  # (the CLI polls stdin even when it runs a script)
        seed.ec.cli(script=str(script), deployment=seed, stdin=stdin)
    seed.wait_converged(20)
    ip = port["fixed_ips"][0]["ip_address"]
    assert ping(seed.ec.host("vm-a1").pid, ip, count=3, interval=0.05).ok
    script.write_text("unplug vm-x1\n")
    with open(os.devnull) as stdin:
        seed.ec.cli(script=str(script), deployment=seed, stdin=stdin)
    assert "vm-x1" not in seed.ec.vms
    assert tap_name(port["id"]) not in seed.ovs["compute2"].ofports(BR_INT)
    seed.api.delete("ports", port["id"])
    seed.refresh()
    seed.wait_converged(20)


def test_a_moved_port_leaves_no_flow_pointing_at_its_old_node(seed):
    """vm-g1 lives on compute2, then Nova moves it to compute1 (unplug, rebind, plug): no
    bridge anywhere still sends its MAC towards compute2, and vm-a1 reaches it locally."""
    cloud = seed.refresh()
    port = seed.api.create("ports", network_id=NET_A, name="vm-g1",
                           **{"binding:host_id": "compute2"})
    ip, mac = port["fixed_ips"][0]["ip_address"], port["mac_address"]
    seed.plug("vm-g1")
    seed.wait_converged(20)
    # (the address may have belonged to a deleted port: vm-a1 forgets its old MAC)
    seed.ec.vm_run("vm-a1", "ip", "neigh", "flush", "dev", "eth0")
    assert ping(seed.ec.host("vm-a1").pid, ip, count=2, interval=0.05).ok
    seed.unplug("vm-g1")
    overlay(seed, "port-update", "vm-g1", "--host", "compute1")
    seed.plug("vm-g1")
    seed.wait_converged(20)
    to_compute2 = {tunnel_port_name(t, cloud.node("compute2").tunnel_ip) for t in ("vxlan", "gre")}
    for node, ovs in seed.ovs.items():
        ports = {no: name for name, no in ovs.ofports(BR_TUN).items()}
        for flow in converge.installed_flows(ovs, BR_TUN).values():
            if flow.get("eth_dst") == mac:
                outs = {ports.get(a.port) for a in flow.actions if hasattr(a, "port")}
                assert not outs & to_compute2, f"{node}: {flow}"
    assert not [f for f in converge.installed_flows(seed.ovs["compute2"], BR_INT).values()
                if f.get("eth_dst") == mac], "compute2's br-int forgot it"
    assert ping(seed.ec.host("vm-a1").pid, ip, count=2, interval=0.05).ok
    seed.unplug("vm-g1")
    seed.api.delete("ports", port["id"])
    seed.refresh()
    seed.wait_converged(20)
