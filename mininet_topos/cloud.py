"""An emulated cloud: the root-namespace segments, one NeutronNode per node, one Mininet host
per VM port, built from a validated Cloud and torn down completely.

Root namespace: kernel bridges `ovl-mgmt` (carrying the controller's address), `ovl-data`
(the tunnel underlay), `ovl-ext` (the external network) and one per physical network
(`ovl-physnet1`: its switch), and one veth per node and segment (`<node>-m`, `<node>-d`,
`<node>-e`, `<node>-p0`...). Everything
created is recorded in the run directory's state file first, so teardown (and the cleanup
command, after a crash) removes exactly what this cloud made.
"""
from __future__ import annotations

import os
import re
import subprocess
import time

from mininet.cli import CLI
from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.node import Host

from cloud.model import ROLE_NETWORK, Cloud, Port
from cloud.naming import BR_INT, interface_name, tap_name
from mininet_topos.node import (DATA_IF, EXT_IF, MGMT_IF, NeutronNode, configure_node,
                                in_ns, plug_vm, seed_tunnel_neighbours)
from mininet_topos import dhcp, l3
from mininet_topos.at_once import at_once
from mininet_topos.ovs import DAEMONS, run
from mininet_topos.state import BASE_DIR, State

MGMT_BRIDGE = "ovl-mgmt"
DATA_BRIDGE = "ovl-data"
EXT_BRIDGE = "ovl-ext"     # the external network's segment (br-ex's NIC, the gateway host)
EXT_GATEWAY_HOST = "extgw"  # stands for the internet: the external network's gateway_ip


class CloudCLI(CLI):
    """Mininet's CLI, accepting node names with dashes (`vm-a1 ping vm-a3`), with `plug` and
    `unplug` for VMs of ports created through the controller's API while the cloud runs."""
    identchars = CLI.identchars + "-"

    def __init__(self, net, deployment=None, **kwargs):
        self.deployment = deployment  # set first: Mininet's CLI runs its loop in __init__
        super().__init__(net, **kwargs)

    def _live(self, verb: str, line: str):
        name = line.strip()
        if self.deployment is None or self.deployment.controller is None or not name:
            print(f"usage: {verb} PORT (its id or name; needs the controller's API)")
            return None
        return name

    def do_plug(self, line: str) -> None:
        """plug PORT: start the VM of a bound port created through the API (its id or name)
        and plug it into its node's br-int as tap<port id[:11]>."""
        name = self._live("plug", line)
        if name:
            try:
                print(f"*** VM {self.deployment.plug(name)} plugged")
            except KeyError as exc:
                print(f"*** cannot plug {name}: {exc.args[0]}")

    def do_unplug(self, line: str) -> None:
        """unplug VM: unplug the VM from br-int and stop it (the port stays)."""
        name = self._live("unplug", line)
        if name:
            try:
                self.deployment.unplug(name)
                print(f"*** {name} unplugged")
            except KeyError:
                print(f"*** no VM {name} is plugged")


def physnet_switch(physnet: str) -> str:
    """The root-namespace switch of a physical network: a Linux bridge without VLAN
    filtering, so every port is a trunk that passes each frame with its 802.1Q tag
    (`tcpdump -e -i ovl-physnet1` shows them)."""
    return interface_name("ovl-", physnet)


def segment_mac(controller_ip, index: int) -> str:
    """02:<01 + index>:<controller IP>: locally administered, stable for a cloud."""
    return "02:%02x:" % (1 + index) + ":".join("%02x" % b for b in controller_ip.packed)


def quiet_ipv6(ifname: str) -> None:
    """No IPv6 on the segments' root-side links: no MLD or router solicitations on the
    underlay (the tunnels run over IPv4), so packet counts there are the overlay's alone."""
    run(["sysctl", "-qw", f"net.ipv6.conf.{ifname}.disable_ipv6=1"])


def link_exists(name: str) -> bool:
    return subprocess.run(["ip", "link", "show", "dev", name],
                          capture_output=True).returncode == 0


VM_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")  # usable as a Mininet host name
DAD_TIMEOUT = 15.0  # a VM's IPv6 addresses leave "tentative" ~1 s after plugging


class EmulatedCloud:
    def __init__(self, cloud: Cloud, rundir: str | None = None):
        self.cloud = cloud
        self.rundir = rundir or os.path.join(BASE_DIR, cloud.name)
        self.state: State | None = None
        self.net: Mininet | None = None
        self.nodes: dict[str, NeutronNode] = {}
        self.vms: dict[str, Host] = {}
        self.plugged: dict[str, Port] = {}  # VM name -> the port it was plugged for
        self.dhcp_clients: list[subprocess.Popen] = []
        self.dhcp = dhcp.DhcpAgent(self.rundir)
        self.routers: dict[str, tuple[str, str]] = {}  # router id -> (node, namespace)
        self.ext_gateway: Host | None = None
        self.timings: dict[str, float] = {}

    # --------------------------------------------------------------------------- lifecycle
    def start(self) -> EmulatedCloud:
        return self.prepare().populate()

    def prepare(self) -> EmulatedCloud:
        """Run directory, state file and the root segments (the controller's address)."""
        setLogLevel("warning")
        leftover = State(self.rundir)
        if not leftover.is_empty():
            leftover.cleanup()  # a previous run of this cloud crashed: remove what it recorded
        self.state = State(self.rundir)
        for name in (MGMT_BRIDGE, DATA_BRIDGE, EXT_BRIDGE) + tuple(
                physnet_switch(p.name) for p in self.cloud.physical_networks):
            if link_exists(name):
                raise RuntimeError(f"{name} exists but no run of ours recorded it: another "
                                   "emulated cloud is running, or remove it by hand")
        self.net = Mininet(topo=None, build=False, controller=None)
        self._segments()
        return self

    def populate(self, progress=None) -> EmulatedCloud:
        """The nodes with their OVS and bridges, then the VMs; progress(stage, done, total)
        hears of each node up."""
        t0 = time.monotonic()
        names = [self.new_node(n.name).name for n in self.cloud.nodes]
        for done, _ in enumerate(at_once(self.configure_node, names), 1):
            if progress:
                progress("nodes up", done, len(names))
        for node in self.cloud.nodes:   # (each one connection to its ovs-vswitchd)
            seed_tunnel_neighbours(self.nodes[node.name], node, self.cloud)
        self.timings["nodes"] = time.monotonic() - t0
        t1 = time.monotonic()
        if self.cloud.external is not None:
            self.add_external_gateway()
        self.sync_dhcp()
        vms = [port for port in self.cloud.ports if port.is_vm]
        by_node: dict[str, list[Port]] = {}
        for port in vms:   # (a node's VMs one after the other: Mininet links use its shell)
            self.new_vm(port)
            by_node.setdefault(port.node, []).append(port)
        list(at_once(lambda ports: [self.plug(p, dhcp=False) for p in ports],
                     list(by_node.values())))
        for port in vms:   # (DHCP clients one after the other: they share a script file)
            if self.cloud.network(port.network_id).enable_dhcp:
                self.start_dhcp_client(self.vm_name(port))
        self.sync_routers()
        self.timings["vms"] = time.monotonic() - t1
        return self

    def stop(self) -> None:
        for proc in self.dhcp_clients:  # udhcpc that never got a lease
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        self.dhcp_clients.clear()
        self.dhcp.forget()
        self.routers.clear()
        self.ext_gateway = None
        for host in self.nodes.values():
            host.ovs.stop()
        if self.net is not None:
            self.net.stop()
            self.net = None
        if self.state is not None:
            self.state.cleanup()
            self.state = None
        self.nodes.clear()
        self.vms.clear()
        self.plugged.clear()

    def __enter__(self) -> EmulatedCloud:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------------------ pieces
    def _segments(self) -> None:
        fabric = self.cloud.fabric
        segments = (MGMT_BRIDGE, DATA_BRIDGE) + ((EXT_BRIDGE,) if self.cloud.external else ())
        segments += tuple(physnet_switch(p.name) for p in self.cloud.physical_networks)
        for index, name in enumerate(segments):
            self.state.add_bridge(name)
            # A fixed MAC: a Linux bridge otherwise takes the lowest MAC of its ports and
            # changes it as nodes join, and a node that resolved the controller's address
            # earlier keeps sending to a MAC the bridge no longer answers to.
            run(["ip", "link", "add", name, "address", segment_mac(fabric.controller_ip, index),
                 "type", "bridge"])
            quiet_ipv6(name)
            run(["ip", "link", "set", name, "up"])
        run(["ip", "addr", "add", f"{fabric.controller_ip}/{fabric.management_cidr.prefixlen}",
             "dev", MGMT_BRIDGE])

    def _uplink(self, host: Host, root_end: str, node_end: str, bridge: str) -> None:
        self.state.add_link(root_end)
        run(["ip", "link", "add", root_end, "type", "veth", "peer", "name", node_end,
             "netns", str(host.pid)])
        quiet_ipv6(root_end)
        run(["ip", "link", "set", root_end, "master", bridge, "up"])

    def add_node(self, name: str) -> NeutronNode:
        self.new_node(name)
        return self.configure_node(name)

    def new_node(self, name: str) -> NeutronNode:
        """The node's namespaces and its links (Mininet's: one at a time)."""
        node = self.cloud.node(name)
        host = self.net.addHost(name, cls=NeutronNode, ovs_dir=os.path.join(self.rundir, name),
                                ip=None)
        self.state.add_pid(host.pid, "mininet:" + name)
        self.nodes[name] = host
        self._uplink(host, f"{name}-m", MGMT_IF, MGMT_BRIDGE)
        self._uplink(host, f"{name}-d", DATA_IF, DATA_BRIDGE)
        if self._external(node):
            self._uplink(host, f"{name}-e", EXT_IF, EXT_BRIDGE)
        for index, m in enumerate(node.bridge_mappings):   # a trunk on the physnet's switch
            self._uplink(host, f"{name}-p{index}", m.nic, physnet_switch(m.physnet))
        return host

    def configure_node(self, name: str) -> NeutronNode:
        """Its addresses, OVS daemons and bridges (its own commands: nodes are configured
        several at once)."""
        node, host = self.cloud.node(name), self.nodes[name]
        try:
            configure_node(host, node, self.cloud.fabric, self._external(node))
        finally:
            for daemon in DAEMONS:
                pid = host.ovs.pid(daemon)
                if pid:
                    self.state.add_pid(pid, daemon)
        return host

    def _external(self, node) -> bool:
        return node.role == ROLE_NETWORK and self.cloud.external is not None

    def add_external_gateway(self) -> Host:
        """The external network's gateway host (the internet, for the cloud): its
        gateway_ip on the external segment, and nothing it would forward."""
        ext = self.cloud.external
        host = self.net.addHost(EXT_GATEWAY_HOST, ip=None)
        self.state.add_pid(host.pid, "mininet:" + EXT_GATEWAY_HOST)
        self._uplink(host, f"{EXT_GATEWAY_HOST}-e", "eth0", EXT_BRIDGE)
        for argv in (["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"],
                     ["ip", "link", "set", "lo", "up"],
                     ["ip", "addr", "add", f"{ext.gateway_ip}/{ext.cidr.prefixlen}", "dev",
                      "eth0"],
                     ["ethtool", "-K", "eth0", "tx", "off"],
                     ["ip", "link", "set", "eth0", "up"]):
            in_ns(host, *argv)
        self.ext_gateway = host
        return host

    def sync_routers(self) -> list[tuple[str, str, str]]:
        """Every router's qrouter namespace as the cloud now says (created, changed, or
        removed with its ports), as the L3 agent does on each router update; returns the
        (namespace, device, address) it added (see l3.announce)."""
        added = []
        wanted = {r.id for r in self.cloud.routers}
        for router_id, (node, ns) in list(self.routers.items()):
            if router_id not in wanted:
                l3.remove(self.nodes[node], ns)
                del self.routers[router_id]
        for router in self.cloud.routers:
            old = self.routers.get(router.id)
            if old is not None and old[0] != router.node:
                l3.remove(self.nodes[old[0]], old[1])
            added += [(router.namespace, device, cidr) for device, cidr in
                      l3.sync(self.nodes[router.node], self.cloud, router, self.state)]
            self.routers[router.id] = (router.node, router.namespace)
        return added

    def vm_name(self, port: Port) -> str:
        """The Mininet host of a port's VM: the port's name when it makes a usable host name
        (as in the seed: vm-a1), else vm-<port id[:8]>."""
        name = port.name
        if VM_NAME_RE.match(name) and name not in self.nodes and name != EXT_GATEWAY_HOST:
            return name
        return "vm-" + port.id[:8]

    def find_port(self, ident: str) -> Port:
        """A bound port of the cloud by id, VM name or a name only it has (KeyError)."""
        matches = [p for p in self.cloud.ports if ident in (p.id, self.vm_name(p))]
        matches = matches or [p for p in self.cloud.ports if p.name == ident]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} bound ports are {ident!r}" if matches else
                           f"no bound port is {ident!r}")
        return matches[0]

    def add_vm(self, port: Port) -> Host:
        """A VM for a bound port of the cloud (as it is now: see Deployment.refresh),
        plugged into its node's br-int."""
        self.new_vm(port)
        return self.plug(port)

    def new_vm(self, port: Port) -> Host:
        """A VM's namespaces (Mininet's: one at a time)."""
        name = self.vm_name(port)
        if name in self.vms:
            raise KeyError(f"a VM named {name} is already plugged")
        vm = self.net.addHost(name, ip=None)
        self.state.add_pid(vm.pid, "mininet:" + name)
        self.vms[name] = vm
        self.plugged[name] = port
        return vm

    def plug(self, port: Port, dhcp: bool = True) -> Host:
        """Plug a new VM into its node's br-int (VMs of different nodes are plugged several
        at once), its DHCP client started (with `dhcp`) if its network has DHCP."""
        name = self.vm_name(port)
        vm = self.vms[name]
        plug_vm(vm, self.nodes[port.node], port, self.cloud)
        if dhcp and self.cloud.network(port.network_id).enable_dhcp:
            self.start_dhcp_client(name)
        return vm

    def start_dhcp_client(self, vm_name: str) -> subprocess.Popen:
        """udhcpc in the VM, in the background: it exits once it has a lease (see
        wait_vm_addresses); recorded for cleanup in case it never gets one."""
        script = dhcp.write_client_script(self.rundir)
        proc = subprocess.Popen(["mnexec", "-a", str(self.vms[vm_name].pid),
                                 *dhcp.client_argv(script, until_leased=True)],
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.state.add_pid(proc.pid, "udhcpc")
        self.dhcp_clients.append(proc)
        return proc

    def sync_dhcp(self) -> None:
        """The DHCP servers as the cloud now says: started for networks that gained DHCP,
        stopped for those that lost it, hosts and options re-read by the others."""
        self.dhcp.sync(self.cloud, self.nodes, self.state)

    def remove_vm(self, vm_name: str) -> None:
        """Unplug a VM from br-int (as Nova does when it deletes an instance) and end it."""
        port = self.plugged.pop(vm_name)
        vm = self.vms.pop(vm_name)
        self.nodes[port.node].ovs.vsctl("--if-exists", "del-port", BR_INT, tap_name(port.id))
        vm.terminate()
        self.net.hosts.remove(vm)

    def wait_vm_addresses(self, timeout: float = DAD_TIMEOUT, leases: bool = True) -> None:
        """Poll until no VM has a tentative IPv6 address (duplicate address detection done)
        and (with `leases`) every VM of a DHCP network has its IPv4 lease; an address that
        failed DAD means someone answered the probe: an error."""
        deadline = time.monotonic() + timeout
        pending = list(self.vms)
        while pending:
            still = []
            for name in pending:
                text = self.vm_run(name, "ip", "-o", "addr", "show", "dev", "eth0").stdout
                if "dadfailed" in text:
                    raise RuntimeError(f"{name}: duplicate address detection failed: {text}")
                port = self.plugged[name]
                by_dhcp = leases and self.cloud.network(port.network_id).enable_dhcp and any(
                    ip.version == 4 for ip in port.ips)
                if "tentative" in text or (by_dhcp and " inet " not in text):
                    still.append(name)
            pending = still
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"addresses still tentative or not leased after {timeout}s on "
                                   f"{', '.join(pending)}")
            if pending:
                time.sleep(0.1)

    # ----------------------------------------------------------------------------- helpers
    def host(self, name: str) -> Host:
        if name == EXT_GATEWAY_HOST and self.ext_gateway is not None:
            return self.ext_gateway
        return self.nodes.get(name) or self.vms[name]

    def vm_run(self, vm: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        return run(["mnexec", "-a", str(self.vms[vm].pid), *argv], check=check, timeout=120)

    def cli(self, script: str | None = None, deployment=None, **kwargs) -> None:
        """Mininet's CLI on this cloud (kwargs: Mininet CLI's, e.g. stdin)."""
        setLogLevel("output")  # the CLI prints command output at this level
        try:
            CloudCLI(self.net, deployment=deployment, script=script, **kwargs)
        finally:
            setLogLevel("warning")
