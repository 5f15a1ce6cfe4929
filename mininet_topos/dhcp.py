"""DHCP over the tunnel, as Neutron's DHCP agent and a cloud image do it.

The network node's side: per network whose IPv4 subnet has `enable_dhcp`, a
`qdhcp-<network id>` namespace holding the network's DHCP port (`ns-<port id[:11]>`, the far
end of a veth whose near end `tap<port id[:11]>` is on the network node's br-int, so the
controller programs it like any port) and a dnsmasq that answers every port of the network
with its fixed IPv4 by MAC. What it tells (gateway, DNS servers, MTU, host routes) is in an
options file and the hosts in a hosts file: when the cloud changes both are rewritten, stale
leases are released and dnsmasq re-reads them (SIGHUP), as the agent's reload_allocations.
`DhcpAgent.sync` starts and stops servers as networks gain and lose DHCP at runtime.

The VM's side: busybox's udhcpc with a script that applies address, default route, host
routes (option 121) and MTU.
"""
from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass

from cloud.model import OWNER_DHCP, Cloud, Network, Port, Subnet
from cloud.naming import BR_INT
from mininet_topos import netns
from mininet_topos.netns import in_netns
from mininet_topos.ovs import stop_pid, wait_for
from mininet_topos.state import State

UDHCPC_SCRIPT = """#!/bin/sh
# udhcpc's hook: apply the lease to the interface (address, default route, routes, MTU)
case "$1" in
  deconfig) ip -4 addr flush dev "$interface" ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip -4 addr add "$ip/$mask" dev "$interface"
    [ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
    for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
    set -- $staticroutes
    while [ $# -ge 2 ]; do ip route replace "$1" via "$2" dev "$interface"; shift 2; done
    ;;
esac
exit 0
"""
LEASE_SECONDS = 86400


def qdhcp_name(net: Network) -> str:
    return "qdhcp-" + net.id


def ns_name(port: Port) -> str:
    return "ns-" + port.id[:11]


def host_name(ip) -> str:
    """Neutron's DHCP host name of an address without a dns_name: host-10-0-0-4."""
    return "host-" + str(ip).replace(".", "-").replace(":", "-")


def served(net: Network) -> Subnet:
    """The IPv4 subnet dnsmasq serves."""
    return net.subnet(4)


def hosts_file(cloud: Cloud, net: Network, server: Port) -> str:
    """dnsmasq's --dhcp-hostsfile: every other bound port with an address in the served
    subnet, by MAC."""
    cidr = served(net).cidr
    return "".join(f"{port.mac},{host_name(ip)},{ip}\n" for port in cloud.ports_of(net.id)
                   if port.id != server.id for ip in port.ips if ip in cidr)


def opts_file(net: Network, server: Port) -> str:
    """dnsmasq's --dhcp-optsfile: what each lease tells, as the DHCP agent writes it. With
    host routes the default route goes into option 121 too (a client that gets option 121
    ignores option 3)."""
    subnet = served(net)
    dns = ",".join(str(ip) for ip in subnet.dns_nameservers) or str(server_ip(server, net))
    lines = [f"tag:net,option:mtu,{net.mtu}", f"tag:net,option:dns-server,{dns}"]
    gateway = subnet.gateway_ip
    lines.append(f"tag:net,option:router,{gateway}" if gateway else "tag:net,option:router")
    if subnet.host_routes:
        routes = [f"{dest},{hop}" for dest, hop in subnet.host_routes]
        if gateway and not any(dest.prefixlen == 0 for dest, _ in subnet.host_routes):
            routes.append(f"0.0.0.0/0,{gateway}")
        lines.append("tag:net,option:classless-static-route," + ",".join(routes))
    return "".join(line + "\n" for line in lines)


def server_ip(server: Port, net: Network):
    return next(ip for ip in server.ips if ip in served(net).cidr)


def _write(workdir: str, name: str, text: str) -> None:
    tmp = os.path.join(workdir, name + ".tmp")
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, os.path.join(workdir, name))


def write_config(cloud: Cloud, net: Network, server: Port, workdir: str) -> None:
    _write(workdir, "hosts", hosts_file(cloud, net, server))
    _write(workdir, "opts", opts_file(net, server))


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
    cidr = served(net).cidr
    return ["dnsmasq", "--conf-file=/dev/null", "--no-hosts", "--no-resolv", "--user=root",
            "--group=root", "--bind-interfaces", f"--interface={ns_name(server)}",
            "--except-interface=lo", f"--pid-file={workdir}/dnsmasq.pid",
            f"--dhcp-leasefile={workdir}/leases", f"--dhcp-hostsfile={workdir}/hosts",
            f"--dhcp-optsfile={workdir}/opts",
            f"--dhcp-range=set:net,{cidr.network_address},static,{cidr.netmask},"
            f"{LEASE_SECONDS}s",
            f"--log-facility={workdir}/dnsmasq.log", "--log-dhcp"]


@dataclass
class Server:
    """A running DHCP server: dnsmasq's pid, its directory, the port it serves from and
    what it was started for (a change of port, address or subnet restarts it)."""
    pid: int
    workdir: str
    port: Port
    node: str
    key: tuple


def server_key(net: Network, server: Port) -> tuple:
    return (server.id, server.mac, server.node, str(server_ip(server, net)),
            str(served(net).cidr), net.mtu)


def start_server(host, net: Network, server: Port, cloud: Cloud, workdir: str,
                 state: State) -> Server:
    """The qdhcp namespace, its port on the network node's br-int, and dnsmasq. The
    namespace and the process are recorded in `state` for cleanup."""
    ns = qdhcp_name(net)
    os.makedirs(workdir, exist_ok=True)
    netns.add(ns, state)
    netns.plug(host, ns, ns_name(server), server.device, BR_INT, server.mac, net.mtu,
               [f"{server_ip(server, net)}/{served(net).cidr.prefixlen}"],
               {"iface-id": server.id, "attached-mac": server.mac, "iface-status": "active"})
    write_config(cloud, net, server, workdir)
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
            raise RuntimeError(f"dnsmasq for {net.name or net.id} exited: {fh.read()[-500:]}")
    return Server(proc.pid, workdir, server, server.node, server_key(net, server))


def stop_server(host, net_id: str, server: Server) -> None:
    """dnsmasq, the DHCP port's OVS port and the qdhcp namespace, as the agent's disable."""
    stop_pid(server.pid)
    ns = "qdhcp-" + net_id
    if netns.exists(ns):
        netns.unplug(host, ns, ns_name(server.port), server.port.device, BR_INT)
        netns.delete(ns)
    for name in ("dnsmasq.pid", "leases"):
        path = os.path.join(server.workdir, name)
        if os.path.exists(path):
            os.remove(path)


class DhcpAgent:
    """The network nodes' DHCP servers, kept as the cloud says (Neutron's DHCP agent)."""

    def __init__(self, rundir: str):
        self.rundir = rundir
        self.servers: dict[str, Server] = {}   # network id -> its server

    def sync(self, cloud: Cloud, nodes: dict, state: State) -> None:
        """Start a server for each network:dhcp port, stop those whose port went or changed
        (a network that lost its last DHCP subnet), refresh the others' hosts and options."""
        wanted = {p.network_id: p for p in cloud.ports if p.device_owner == OWNER_DHCP}
        for net_id, server in list(self.servers.items()):
            port = wanted.get(net_id)
            if port is None or server_key(cloud.network(net_id), port) != server.key:
                stop_server(nodes[server.node], net_id, server)
                del self.servers[net_id]
        for net_id, port in wanted.items():
            net = cloud.network(net_id)
            server = self.servers.get(net_id)
            if server is None:
                workdir = os.path.join(self.rundir, "dhcp", net_id)
                self.servers[net_id] = start_server(nodes[port.node], net, port, cloud,
                                                    workdir, state)
                continue
            server.port = port
            write_config(cloud, net, port, server.workdir)
            os.kill(server.pid, signal.SIGHUP)
            release_stale_leases(cloud, net, port, server.workdir)

    def forget(self) -> None:
        self.servers.clear()


def client_argv(script: str, until_leased: bool = False) -> list[str]:
    """udhcpc in the foreground, asking for the MTU, exiting once it has a lease; after 30
    unanswered tries (1 s apart) it gives up, or with until_leased keeps trying (a VM booted
    before any controller programmed its port)."""
    return (["busybox", "udhcpc", "-i", "eth0", "-s", script, "-q", "-t", "30", "-T", "1",
             "-O", "mtu", "-O", "staticroutes", "-f"] + ([] if until_leased else ["-n"]))


def write_client_script(rundir: str) -> str:
    path = os.path.join(rundir, "udhcpc.script")
    if not os.path.exists(path):
        with open(path, "w") as fh:
            fh.write(UDHCPC_SCRIPT)
        os.chmod(path, 0o755)
    return path
