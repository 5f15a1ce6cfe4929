"""DHCP over the tunnel, as Neutron's DHCP agent and a cloud image do it.

The network node's side: per network with `enable_dhcp`, a `qdhcp-<network id>` namespace
holding the network's DHCP port (`ns-<port id[:11]>`, the far end of a veth whose near end
`tap<port id[:11]>` is on the network node's br-int, so the controller programs it like any
port) and a dnsmasq that answers every port of the network with its fixed IPv4 by MAC, the
gateway, itself as DNS server and the network's MTU (option 26). When ports change, the
hosts file is rewritten, stale leases are released and dnsmasq re-reads (SIGHUP).

The VM's side: busybox's udhcpc with a script that applies address, default route and MTU.
"""
from __future__ import annotations

import os
import subprocess

from cloud.model import Cloud, Network, Port
from cloud.naming import BR_INT
from mininet_topos import netns
from mininet_topos.netns import in_netns
from mininet_topos.ovs import wait_for
from mininet_topos.state import State

UDHCPC_SCRIPT = """#!/bin/sh
# udhcpc's hook: apply the lease to the interface (address, default route, MTU)
case "$1" in
  deconfig) ip -4 addr flush dev "$interface" ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip -4 addr add "$ip/$mask" dev "$interface"
    [ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
    for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
    ;;
esac
exit 0
"""
LEASE_SECONDS = 86400


def qdhcp_name(net: Network) -> str:
    return "qdhcp-" + net.id


def ns_name(port: Port) -> str:
    return "ns-" + port.id[:11]


def ipv4_cidr(net: Network):
    return next(c for c in net.cidrs if c.version == 4)


def hosts_file(cloud: Cloud, net: Network, server: Port) -> str:
    """dnsmasq's --dhcp-hostsfile: every other port of the network with an IPv4, by MAC."""
    lines = []
    for port in cloud.ports:
        if port.network_id == net.id and port.id != server.id:
            for ip in port.ips:
                if ip.version == 4:
                    lines.append(f"{port.mac},{port.name},{ip}\n")
    return "".join(lines)


def write_hosts(cloud: Cloud, net: Network, server: Port, workdir: str) -> None:
    tmp = os.path.join(workdir, "hosts.tmp")
    with open(tmp, "w") as fh:
        fh.write(hosts_file(cloud, net, server))
    os.replace(tmp, os.path.join(workdir, "hosts"))


def release_stale_leases(cloud: Cloud, net: Network, server: Port, workdir: str) -> list[str]:
    """Release (dhcp_release, as Neutron's DHCP agent does) every lease whose MAC and IP no
    longer belong together in the cloud: a deleted port's address can then go to a new one."""
    wanted = {(p.mac, str(ip)) for p in cloud.ports_of(net.id)
              for ip in p.ips if ip.version == 4}
    released = []
    path = os.path.join(workdir, "leases")
    if not os.path.exists(path):
        return released
    with open(path) as fh:
        for line in fh:
            fields = line.split()  # expiry, MAC, IP, name, client id
            if len(fields) >= 3 and (fields[1], fields[2]) not in wanted:
                in_netns(qdhcp_name(net), "dhcp_release", ns_name(server), fields[2], fields[1])
                released.append(fields[2])
    return released


def dnsmasq_argv(net: Network, server: Port, workdir: str) -> list[str]:
    cidr = ipv4_cidr(net)
    server_ip = next(ip for ip in server.ips if ip.version == 4)
    argv = ["dnsmasq", "--conf-file=/dev/null", "--no-hosts", "--no-resolv", "--user=root",
            "--group=root", "--bind-interfaces", f"--interface={ns_name(server)}",
            "--except-interface=lo", f"--pid-file={workdir}/dnsmasq.pid",
            f"--dhcp-leasefile={workdir}/leases", f"--dhcp-hostsfile={workdir}/hosts",
            f"--dhcp-range=set:net,{cidr.network_address},static,{cidr.netmask},"
            f"{LEASE_SECONDS}s",
            f"--dhcp-option=tag:net,option:mtu,{net.mtu}",
            f"--dhcp-option=tag:net,option:dns-server,{server_ip}",
            f"--log-facility={workdir}/dnsmasq.log", "--log-dhcp"]
    if net.gateway_ip is not None and net.gateway_ip.version == 4:
        argv.append(f"--dhcp-option=tag:net,option:router,{net.gateway_ip}")
    return argv


def start_server(host, net: Network, server: Port, cloud: Cloud, workdir: str,
                 state: State) -> int:
    """The qdhcp namespace, its port on the network node's br-int, and dnsmasq; returns
    dnsmasq's pid. The namespace and the process are recorded in `state` for cleanup."""
    ns = qdhcp_name(net)
    os.makedirs(workdir, exist_ok=True)
    netns.add(ns, state)
    cidr = ipv4_cidr(net)
    server_ip = next(ip for ip in server.ips if ip.version == 4)
    netns.plug(host, ns, ns_name(server), server.device, BR_INT, server.mac, net.mtu,
               [f"{server_ip}/{cidr.prefixlen}"],
               {"iface-id": server.id, "attached-mac": server.mac, "iface-status": "active"})
    write_hosts(cloud, net, server, workdir)
    # in the foreground, as our own child (a daemonizing dnsmasq leaves its intermediate
    # process as an unreaped zombie under a subreaper); `ip netns exec` execs it in place
    proc = subprocess.Popen(["ip", "netns", "exec", ns, *dnsmasq_argv(net, server, workdir),
                             "--keep-in-foreground"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state.add_pid(proc.pid, "dnsmasq")
    wait_for(lambda: os.path.exists(os.path.join(workdir, "dnsmasq.pid")) or
             proc.poll() is not None, 10, "dnsmasq to start")
    if proc.poll() is not None:
        with open(os.path.join(workdir, "dnsmasq.log"), errors="replace") as fh:
            raise RuntimeError(f"dnsmasq for {net.name} exited: {fh.read()[-500:]}")
    return proc.pid


def client_argv(script: str, until_leased: bool = False) -> list[str]:
    """udhcpc in the foreground, asking for the MTU, exiting once it has a lease; after 30
    unanswered tries (1 s apart) it gives up, or with until_leased keeps trying (a VM booted
    before any controller programmed its port)."""
    return (["busybox", "udhcpc", "-i", "eth0", "-s", script, "-q", "-t", "30", "-T", "1",
             "-O", "mtu", "-f"] + ([] if until_leased else ["-n"]))


def write_client_script(rundir: str) -> str:
    path = os.path.join(rundir, "udhcpc.script")
    if not os.path.exists(path):
        with open(path, "w") as fh:
            fh.write(UDHCPC_SCRIPT)
        os.chmod(path, 0o755)
    return path
