"""Tier 3: security groups and port security on the live seed cloud (real OVS conntrack in
ovs-vswitchd's userspace datapath), changed through the API and the real openstack client.
Every test restores what it changes (the module shares one cloud)."""
import os
import subprocess
import sys

import pytest

from cloud.naming import BR_INT
from flows import tables as t
from mininet_topos import frames, sg_walk, walks
from mininet_topos.sg_walk import capture, connect
from mininet_topos.node import DATA_IF
from mininet_topos.ovs import stop_pid
from mininet_topos.stream import last_count
from mininet_topos.traffic import flow_counters, ping, send_frames
from tests.support.bad_requests import DEFAULT_SG

FIP_A1 = "10.1.101.241"
A1, A2, A3 = "10.0.0.4", "10.0.0.5", "10.0.0.6"


# ------------------------------------------------------------------------------- helpers
def api(seed, method, path, body=None):
    return seed.api.request(method, path, body)


def changed(seed):
    """After an API change: the cloud adopted and every bridge exact again."""
    sg_walk.changed(seed)


def add_rule(seed, **rule):
    rule = {"security_group_id": DEFAULT_SG, "direction": "ingress"} | rule
    made = api(seed, "POST", "/security-group-rules", {"security_group_rule": rule})
    changed(seed)
    return made["security_group_rule"]["id"]


def delete_rule(seed, rule_id):
    api(seed, "DELETE", f"/security-group-rules/{rule_id}")
    changed(seed)


def set_port(seed, name, **attrs):
    port = walks.port(seed, name)
    api(seed, "PUT", f"/ports/{port.id}", {"port": attrs})
    changed(seed)


def drops(seed, node, key_filter):
    return sum(n for k, n in flow_counters(seed.ovs[node], BR_INT).items() if key_filter(k))


def osc(seed, *argv):
    return sg_walk.openstack(seed, *argv)


def syns(seed, vm, port, src, ip):
    return sg_walk.syns_at(seed, vm, port, src, ip)[0]


# --------------------------------------------------------------------- groups and rules
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_default_group_refuses_until_a_rule_allows_it(seed):
    """From the external host to vm-a1's floating IP: ping passes (the seed's ICMP rule),
    SSH does not (the default group admits only its members) until `openstack security
    group rule create --protocol tcp --dst-port 22 --remote-ip 0.0.0.0/0 default`; then
    vm-a1's RST comes back through conntrack; deleting the rule refuses SSH again."""
    ext = walks.EXT_GATEWAY_HOST
    assert ping(seed.ec.host(ext).pid, FIP_A1, count=3, interval=0.1).ok
    assert syns(seed, "vm-a1", 22, ext, FIP_A1) == 0
    out = osc(seed, "security", "group", "rule", "create", "--protocol", "tcp", "--dst-port",
              "22", "--remote-ip", "0.0.0.0/0", "default", "-f", "value", "-c", "id")
    rule_id = out.strip()
    changed(seed)
    try:
        assert syns(seed, "vm-a1", 22, ext, FIP_A1) == 3
        assert connect(seed, ext, FIP_A1, 22) == [111] * 3, "refused by vm-a1: RST came back"
        listed = osc(seed, "security", "group", "rule", "list", "default", "-f", "value",
                     "-c", "ID")
        assert rule_id in listed.split()
    finally:
        osc(seed, "security", "group", "rule", "delete", rule_id)
        changed(seed)
    assert syns(seed, "vm-a1", 22, ext, FIP_A1) == 0


def test_rules_by_icmp_type_and_prefix(seed):
    """The seed's any-ICMP rule replaced by echo requests from the external host only: ping
    passes; from a /32 elsewhere: it does not."""
    ext = walks.EXT_GATEWAY_HOST
    group = api(seed, "GET", f"/security-groups/{DEFAULT_SG}")["security_group"]
    any_icmp = next(r for r in group["security_group_rules"] if r["protocol"] == "icmp")
    delete_rule(seed, any_icmp["id"])
    try:
        assert not ping(seed.ec.host(ext).pid, FIP_A1, count=2, interval=0.1, wait=0.5).ok
        echo = add_rule(seed, protocol="icmp", port_range_min=8,
                        remote_ip_prefix="10.1.101.254/32")
        assert ping(seed.ec.host(ext).pid, FIP_A1, count=3, interval=0.1).ok
        delete_rule(seed, echo)
        other = add_rule(seed, protocol="icmp", port_range_min=8,
                         remote_ip_prefix="10.1.101.253/32")
        assert not ping(seed.ec.host(ext).pid, FIP_A1, count=2, interval=0.1, wait=0.5).ok
        delete_rule(seed, other)
    finally:
        add_rule(seed, protocol="icmp", remote_ip_prefix="0.0.0.0/0")
    assert ping(seed.ec.host(ext).pid, FIP_A1, count=3, interval=0.1).ok


def test_remote_group_admits_its_members_only(seed):
    """vm-a1 only in `web` (HTTP from group `clients`), vm-a2 also in `clients`: vm-a2's
    SYNs to port 80 arrive, vm-a3's (default group only) do not."""
    made = []
    try:
        for name in ("clients", "web"):
            made.append(api(seed, "POST", "/security-groups",
                            {"security_group": {"name": name}})["security_group"]["id"])
        clients, web = made
        add_rule(seed, security_group_id=web, protocol="tcp", port_range_min=80,
                 port_range_max=80, remote_group_id=clients)
        set_port(seed, "vm-a1", security_groups=[web])
        set_port(seed, "vm-a2", security_groups=[DEFAULT_SG, clients])
        assert syns(seed, "vm-a1", 80, "vm-a2", A1) == 3
        assert syns(seed, "vm-a1", 80, "vm-a3", A1) == 0
        assert syns(seed, "vm-a1", 81, "vm-a2", A1) == 0
    finally:
        set_port(seed, "vm-a1", security_groups=[DEFAULT_SG])
        set_port(seed, "vm-a2", security_groups=[DEFAULT_SG])
        for gid in reversed(made):
            api(seed, "DELETE", f"/security-groups/{gid}")
        changed(seed)


# ------------------------------------------------------------------------------- state
def _retransmitted(seed, vm):
    out = seed.ec.vm_run(vm, "nstat", "-az", "TcpRetransSegs").stdout
    return int(next(line.split()[1] for line in out.splitlines()
                    if line.startswith("TcpRetransSegs")))


def test_a_stream_keeps_every_packet_until_its_rule_goes(seed, tmp_path):
    """A TCP stream vm-a3 (compute2) -> vm-a1 (compute1), one segment every 20 ms, admitted
    by the default group's remote-group rule. Unrelated rules added and removed under it
    (each change one bundle per bridge) cost it no packet: no retransmission, every byte
    arrives. Removing the rule that admits it cuts it: vm-a1 receives nothing more and
    conntrack marks the connection (ct_mark=1)."""
    server_count, client_count = str(tmp_path / "recv"), str(tmp_path / "sent")
    stream = [sys.executable, "-m", "mininet_topos.stream"]

    def start(vm, out, *args):
        with open(out, "w") as fh:
            proc = subprocess.Popen(["mnexec", "-a", str(seed.ec.host(vm).pid), *stream,
                                     *args], stdout=fh)
        seed.ec.state.add_pid(proc.pid, "stream")
        return proc

    _count = last_count
    server = start("vm-a1", server_count, "serve", "5001")
    walks.poll_until(lambda: os.path.getsize(server_count), bool, 10)   # listening
    before = _retransmitted(seed, "vm-a3")
    client = start("vm-a3", client_count, "send", A1, "5001", "0.02")
    group = api(seed, "GET", f"/security-groups/{DEFAULT_SG}")["security_group"]
    admitting = next(r for r in group["security_group_rules"]
                     if r["direction"] == "ingress" and r["ethertype"] == "IPv4"
                     and r["remote_group_id"] == DEFAULT_SG)
    try:
        walks.poll_until(lambda: _count(server_count), lambda n: n > 640, 10)
        for rule in ({"protocol": "udp", "port_range_min": 53, "port_range_max": 53},
                     {"protocol": "tcp", "remote_ip_prefix": "10.9.0.0/16"},
                     {"direction": "egress", "protocol": "tcp", "port_range_min": 5001,
                      "port_range_max": 5001, "remote_ip_prefix": "192.0.2.0/24"}):
            delete_rule(seed, add_rule(seed, **rule))
        changed_at = _count(client_count)   # ten more segments after the last change:
        sent = walks.poll_until(lambda: _count(client_count), lambda n: n >= changed_at + 640,
                                5)
        received = walks.poll_until(lambda: _count(server_count), lambda n: n >= sent, 5)
        assert received >= sent, f"{received} of {sent} bytes arrived"
        assert _retransmitted(seed, "vm-a3") == before, "no segment was lost"
        delete_rule(seed, admitting["id"])
        cut_at, sent_at = _count(server_count), _count(client_count)
        sending = walks.poll_until(lambda: _count(client_count), lambda n: n >= sent_at + 640, 5)
        assert sending >= sent_at + 640, "the sender kept sending"
        assert _count(server_count) == cut_at, "nothing arrived after the rule went"
        conntrack = seed.ovs["compute1"].appctl("dpctl/dump-conntrack", "-m")
        entry = [line for line in conntrack.splitlines() if "dport=5001" in line]
        assert entry and all("mark=1" in line for line in entry), conntrack
    finally:
        for proc in (client, server):
            stop_pid(proc.pid)
        add_rule(seed, ethertype="IPv4", remote_group_id=DEFAULT_SG)


# ------------------------------------------------------------- pairs, port security off
def test_a_vip_moves_between_two_vms_with_allowed_address_pairs(seed):
    vip = "10.0.0.100"
    pair = [{"ip_address": vip}]
    set_port(seed, "vm-a1", allowed_address_pairs=pair)
    set_port(seed, "vm-a2", allowed_address_pairs=pair)
    try:
        for holder, other in (("vm-a1", "vm-a2"), ("vm-a2", "vm-a1")):
            seed.ec.vm_run(other, "ip", "addr", "del", f"{vip}/24", "dev", "eth0", check=False)
            seed.ec.vm_run(holder, "ip", "addr", "add", f"{vip}/24", "dev", "eth0")
            mac = walks.port(seed, holder).mac   # its gratuitous ARP, as keepalived sends
            garp = frames.ethernet("ff:ff:ff:ff:ff:ff", mac, 0x0806,
                                   frames.arp(1, mac, vip, "00:00:00:00:00:00", vip))
            send_frames(seed.ec.host(holder).pid, "raw", "eth0", garp.hex(), "2")
            with capture(seed, holder, f"icmp and host {vip}") as cap:
                result = walks.poll_until(
                    lambda: ping(seed.ec.host("vm-a3").pid, vip, count=3, interval=0.1),
                    lambda r: r.ok, 10)
            assert result.ok, f"{holder} holding {vip}: {result}"
            assert cap.count(f"> {vip}: ICMP echo request") >= 3
        set_port(seed, "vm-a2", allowed_address_pairs=[])   # vm-a2 keeps the VIP, may not
        assert not ping(seed.ec.host("vm-a3").pid, vip, count=2, interval=0.1, wait=0.5).ok
    finally:
        for vm in ("vm-a1", "vm-a2"):
            seed.ec.vm_run(vm, "ip", "addr", "del", f"{vip}/24", "dev", "eth0", check=False)
            set_port(seed, vm, allowed_address_pairs=[])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_port_security_off_lets_a_vm_send_anything(seed):
    """`openstack port set --no-security-group --disable-port-security vm-a2`: a frame with
    a made-up source address reaches vm-a1; with port security back, it does not."""
    a1, a2 = walks.port(seed, "vm-a1"), walks.port(seed, "vm-a2")
    spoofed = frames.ethernet(a1.mac, a2.mac, 0x0800, frames.ipv4_icmp_echo("10.0.0.99", A1))
    pid = seed.ec.host("vm-a2").pid
    osc(seed, "port", "set", "--no-security-group", "--disable-port-security", "vm-a2")
    changed(seed)
    try:
        with capture(seed, "vm-a1", "icmp and src host 10.0.0.99") as cap:
            send_frames(pid, "raw", "eth0", spoofed.hex(), "3")
            walks.poll_until(lambda: len(open(cap.out_path).read().splitlines()),
                             lambda n: n >= 3, walks.COUNTER_DEADLINE)
        assert cap.count("10.0.0.99 > 10.0.0.4") == 3
    finally:
        osc(seed, "port", "set", "--enable-port-security", "--security-group", "default",
            "vm-a2")
        changed(seed)
    assert walks.port(seed, "vm-a2").security_groups == (DEFAULT_SG,)
    with capture(seed, "vm-a1", "icmp and src host 10.0.0.99") as cap:
        send_frames(pid, "raw", "eth0", spoofed.hex(), "3")
    assert cap.count("") == 0


# -------------------------------------------------------------------- attacks from a VM
A1_MAC_LL = "fe80::f816:3eff:feeb:62d"   # vm-a1's link-local address


def _attack(kind, a1, a2, a3):
    """(frame, the drop flow's (table, priority), tcpdump pattern of the frame)."""
    if kind == "spoofed IPv4 source":   # to vm-a2 (same host) and to vm-a3 (compute2)
        return ([frames.ethernet(vm.mac, a1.mac, 0x0800, frames.ipv4_icmp_echo("10.0.0.99", ip))
                 for vm, ip in ((a2, A2), (a3, A3))],
                (t.BASE_EGRESS, t.PRIORITY_MISS), "10.0.0.99 >")
    if kind == "spoofed IPv6 source":
        return ([frames.ethernet(vm.mac, a1.mac, 0x86DD,
                                 frames.icmpv6("fd00::99", ip, 128, bytes(4)))
                 for vm, ip in ((a2, "fd00::5"), (a3, "fd00::6"))],
                (t.BASE_EGRESS, t.PRIORITY_MISS), "fd00::99 >")
    if kind == "rogue DHCP server":
        return (frames.ethernet("ff:ff:ff:ff:ff:ff", a1.mac, 0x0800,
                                frames.ipv4_udp(A1, "255.255.255.255", 67, 68, bytes(240))),
                (t.BASE_EGRESS, t.PRIORITY_FW_SERVER), "10.0.0.4.67 >")
    if kind == "rogue DHCPv6 server":
        return (frames.ethernet("33:33:00:01:00:02", a1.mac, 0x86DD,
                                frames.ipv6_udp(A1_MAC_LL, "ff02::1:2", 547, 546, bytes(4))),
                (t.BASE_EGRESS, t.PRIORITY_FW_SERVER), "547 >")
    if kind == "router advertisement":
        return (frames.ethernet("33:33:00:00:00:01", a1.mac, 0x86DD,
                                frames.icmpv6(A1_MAC_LL, "ff02::1", 134, bytes(12))),
                (t.BASE_EGRESS, t.PRIORITY_FW_SERVER), "router advertisement")
    if kind == "spoofed NA":
        import socket
        body = (bytes.fromhex("20000000") + socket.inet_pton(socket.AF_INET6, "fd00::5")
                + bytes([2, 1]) + frames.mac_bytes(a1.mac))
        return (frames.ethernet(a3.mac, a1.mac, 0x86DD,
                                frames.icmpv6("fd00::4", "fd00::6", 136, body)),
                (t.ARP_SPOOF, t.PRIORITY_NA_SPOOFED), "tgt is fd00::5")
    if kind == "spoofed ARP":
        return (frames.ethernet(a3.mac, a1.mac, 0x0806, frames.arp(2, a1.mac, A2, a3.mac, A3)),
                (t.ARP_SPOOF, t.PRIORITY_ARP_SPOOFED), f"{A2} is-at")
    raise KeyError(kind)


@pytest.mark.parametrize("kind", ["spoofed IPv4 source", "spoofed IPv6 source",
                                  "rogue DHCP server", "rogue DHCPv6 server",
                                  "router advertisement", "spoofed ARP", "spoofed NA"])
def test_attacks_from_a_vm_are_dropped(seed, kind):
    """vm-a1 sends three frames no honest VM sends: vm-a2 (same host) and vm-a3 (compute2)
    see none, compute1's data link carries none, and the drop flow counted them."""
    a1, a2, a3 = (walks.port(seed, n) for n in ("vm-a1", "vm-a2", "vm-a3"))
    sent, (table, priority), pattern = _attack(kind, a1, a2, a3)
    sent = sent if isinstance(sent, list) else [sent]
    dropped = lambda k: k[0] == table and k[1] == priority  # noqa: E731
    before = drops(seed, "compute1", dropped)
    with capture(seed, "vm-a2", "") as at_a2, capture(seed, "vm-a3", "") as at_a3, \
            capture(seed, "compute1", "", iface=DATA_IF) as wire:
        for frame in sent:
            send_frames(seed.ec.host("vm-a1").pid, "raw", "eth0", frame.hex(), "3")
        walks.poll_until(lambda: drops(seed, "compute1", dropped),
                         lambda n: n >= before + 3 * len(sent), walks.COUNTER_DEADLINE)
    for where, cap in (("vm-a2", at_a2), ("vm-a3", at_a3), ("compute1's data link", wire)):
        assert cap.count(pattern) == 0, f"{kind} reached {where}: {cap.packets}"
    assert drops(seed, "compute1", dropped) >= before + 3 * len(sent)
