"""The demo's security group walk: a VM refused by its default group, then reachable once
`openstack security group rule create` allows it; a spoofed source address dropped by port
security; the connections conntrack keeps in ovs-vswitchd (userspace datapath: `ovs-appctl
dpctl/dump-conntrack`, not the kernel's `conntrack -L`). The TCP probes are also the tier-3
tests' (tests/integration/test_security_groups.py)."""
from __future__ import annotations

import os
import subprocess
import sys

from cloud.naming import BR_INT
from flows import localvlan
from flows import tables as t
from mininet_topos import frames, openstack_env
from mininet_topos.deployment import Deployment
from mininet_topos.traffic import Capture, flow_counters, ping, send_frames
from mininet_topos.walks import COUNTER_DEADLINE, EXT_GATEWAY_HOST, Check, poll_until, port

OPENSTACK = os.path.join(os.path.dirname(sys.executable), "openstack")
CONNECTION_REFUSED = 111   # errno: the VM answered with a RST (its port is closed)


def connect(d: Deployment, host: str, ip: str, port_no: int, tries: int = 3) -> list[int]:
    """TCP connects from `host`, each's errno (111: the VM refused, its RST came back;
    11 or 110: no answer)."""
    code = ("import socket\n"
            "out = []\n"
            f"for i in range({tries}):\n"
            "    s = socket.socket(); s.settimeout(0.5)\n"
            f"    out.append(s.connect_ex(('{ip}', {port_no}))); s.close()\n"
            "print(' '.join(map(str, out)))")
    proc = subprocess.run(["mnexec", "-a", str(d.ec.host(host).pid), sys.executable, "-c",
                           code], capture_output=True, text=True, timeout=30)
    return [int(x) for x in proc.stdout.split()]


def capture(d: Deployment, host: str, bpf: str, iface: str = "eth0") -> Capture:
    return Capture(d.ec.host(host).pid, iface, bpf,
                   on_start=lambda p: d.ec.state.add_pid(p, "tcpdump"))


def syns_at(d: Deployment, vm: str, port_no: int, src: str, ip: str, tries: int = 3):
    """(SYNs for `port_no` that reached `vm`, the errno of each connect from `src`)."""
    with capture(d, vm, f"tcp dst port {port_no} and tcp[tcpflags] & tcp-syn != 0") as cap:
        errnos = connect(d, src, ip, port_no, tries)
    return cap.count(""), errnos


def openstack(d: Deployment, *argv: str) -> str:
    env = dict(os.environ, **openstack_env.env(d.clouds_yaml()))
    proc = subprocess.run([OPENSTACK, *argv], env=env, capture_output=True, text=True,
                          timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"openstack {' '.join(argv)}: {proc.stderr.strip()}")
    return proc.stdout


def changed(d: Deployment) -> None:
    d.refresh()
    d.wait_converged(30)


def drops(d: Deployment, node: str, table: int, priority: int) -> int:
    return sum(n for k, n in flow_counters(d.ovs[node], BR_INT).items()
               if k[0] == table and k[1] == priority)


def _ssh_walk(d: Deployment, vm: str) -> Check:
    fip = next(f for f in d.cloud.floating_ips if f.port_id == port(d, vm).id)
    ip = str(fip.ip)
    before, _ = syns_at(d, vm, 22, EXT_GATEWAY_HOST, ip)
    rule = openstack(d, "security", "group", "rule", "create", "--protocol", "tcp",
                     "--dst-port", "22", "--remote-ip", "0.0.0.0/0", "default", "-f", "value",
                     "-c", "id").strip()
    changed(d)
    try:
        after, errnos = syns_at(d, vm, 22, EXT_GATEWAY_HOST, ip)
    finally:
        openstack(d, "security", "group", "rule", "delete", rule)
        changed(d)
    again, _ = syns_at(d, vm, 22, EXT_GATEWAY_HOST, ip)
    refused = errnos.count(CONNECTION_REFUSED)
    return Check(f"security group: {EXT_GATEWAY_HOST} -> {vm} ({ip}) tcp/22",
                 before == 0 and after == 3 and refused == 3 and again == 0,
                 f"default group: {before}/3 SYNs reached {vm}; after `openstack security "
                 f"group rule create --protocol tcp --dst-port 22 --remote-ip 0.0.0.0/0 "
                 f"default`: {after}/3, and {refused}/3 of {vm}'s RSTs came back through "
                 f"conntrack; rule deleted: {again}/3")


def _spoof_walk(d: Deployment, src: str, dst: str) -> Check:
    a, b = port(d, src), port(d, dst)
    target = next(str(ip) for ip in b.ips if ip.version == 4)
    frame = frames.ethernet(b.mac, a.mac, 0x0800, frames.ipv4_icmp_echo("10.0.0.99", target))
    before = drops(d, a.node, t.BASE_EGRESS, t.PRIORITY_MISS)
    with capture(d, dst, "icmp and src host 10.0.0.99") as cap:
        send_frames(d.ec.host(src).pid, "raw", "eth0", frame.hex(), "3")
        dropped = poll_until(lambda: drops(d, a.node, t.BASE_EGRESS, t.PRIORITY_MISS),
                             lambda n: n >= before + 3, COUNTER_DEADLINE)
    return Check(f"port security: {src} sends as 10.0.0.99 to {dst}",
                 cap.count("") == 0 and dropped >= before + 3,
                 f"{dst} saw {cap.count('')}/3; br-int table {t.BASE_EGRESS} BASE_EGRESS "
                 f"dropped {dropped - before} (to {t.DROPPED_TRAFFIC} DROPPED_TRAFFIC)")


def security_group_walk(d: Deployment) -> tuple[list[Check], list[str]]:
    """(the checks, lines to show): the SSH walk, the spoofing walk, and conntrack's
    entries for a ping between vm-a1 and vm-a3."""
    checks = [_ssh_walk(d, "vm-a1"), _spoof_walk(d, "vm-a1", "vm-a3")]
    a1, a3 = port(d, "vm-a1"), port(d, "vm-a3")
    ping(d.ec.host("vm-a1").pid, next(str(ip) for ip in a3.ips if ip.version == 4), count=2,
         interval=0.1)
    net = d.cloud.network(a1.network_id)
    zone = localvlan.allocate({}, [n.id for n in d.cloud.networks_on(a1.node)])[net.id]
    lines = [f"{a1.node}: ovs-appctl dpctl/dump-conntrack zone={zone} ({net.name}'s zone: "
             "its local VLAN; ovs-vswitchd's own tracker, not the kernel's)"]
    dump = d.ovs[a1.node].appctl("dpctl/dump-conntrack", f"zone={zone}")
    lines += ["  " + line for line in dump.splitlines()][:4]
    return checks, lines
