"""A Neutron node (compute or network) as a Mininet host running its own Open vSwitch, and the
VMs plugged into it.

Inside the node: eth0 on the management segment (its OpenFlow and OVSDB traffic), eth1 on the
data segment as the only port of br-phy, which owns the tunnel endpoint IP (OVS's userspace
tunnelling routes encapsulated packets through the bridge that holds the underlay address),
and Neutron's br-int and br-tun joined by patch-tun/patch-int, controlled out-of-band by the
controller in the root namespace. The network node also gets br-ex. Each bridge mapping adds
a physical bridge (br-eth1, ...) holding its NIC, cabled to the physical network's switch,
joined to br-int by int-br-ethN/phy-br-ethN, controlled like the others. /var/run/openvswitch,
/etc/openvswitch and /var/log/openvswitch are the node's own directory, so the OVS tools at the
Mininet CLI (`compute1 ovs-ofctl dump-flows br-tun`) reach the node's own instance unchanged.
"""
from __future__ import annotations

import shlex
import uuid

from mininet.link import Link
from mininet.node import Host

from cloud.model import Cloud, Fabric, Node, Port
from cloud.naming import (BR_EX, BR_INT, BR_PHY, BR_TUN, DATA_IF, EXT_IF, MGMT_IF, PATCH_INT,
                          PATCH_TUN, tap_name)
from flows.desired import bridges_of
from mininet_topos.ovs import OvsInstance, run

OVS_DIRS = ("/var/run/openvswitch", "/etc/openvswitch", "/var/log/openvswitch")
OPENFLOW_PROTOCOLS = "OpenFlow10,OpenFlow13,OpenFlow14"
BRIDGE_CODES = {BR_INT: 1, BR_TUN: 2, BR_EX: 3, BR_PHY: 4}
OVSDB_PORT = 6640


def phy_mac(node: Node) -> str:
    """br-phy's MAC, fixed by the tunnel IP so peers can know it in advance (02: = local)."""
    return "02:00:" + ":".join("%02x" % b for b in node.tunnel_ip.packed)


def datapath_id(node: Node, bridge: str) -> str:
    """Unique per bridge of the cloud: management IP in the high bits, bridge code low (a
    physical bridge's: 16 + its mapping's index)."""
    code = BRIDGE_CODES.get(bridge) or 16 + [m.bridge for m in node.bridge_mappings].index(
        bridge)
    return "%016x" % ((int(node.management_ip) << 16) | code)


class NeutronNode(Host):
    """A Mininet host whose OVS directories are private and whose OVS is `self.ovs`."""

    def __init__(self, name: str, ovs_dir: str, **params):
        self.ovs_dir = ovs_dir
        super().__init__(name, privateDirs=[(d, ovs_dir) for d in OVS_DIRS], **params)
        self.ovs = OvsInstance(rundir=ovs_dir, enter=["mnexec", "-a", str(self.pid)])


def in_ns(host: Host, *argv: str) -> str:
    """Run a command in a Mininet host's namespaces; raise with its stderr if it fails."""
    return run(["mnexec", "-a", str(host.pid), *argv]).stdout


def in_ns_all(host: Host, commands: list[list[str]]) -> str:
    """Several commands in a Mininet host's namespaces, in order, by one shell that stops at
    the first failure (raising with its stderr)."""
    script = " && ".join(shlex.join(argv) for argv in commands)
    return run(["mnexec", "-a", str(host.pid), "sh", "-c", script]).stdout


def configure_node(host: NeutronNode, node: Node, fabric: Fabric, external: bool = False) -> None:
    """Addresses, the node's OVS daemons and its bridges (eth0/eth1, and on a network node of
    a cloud with an external network eth2, already moved in: br-ex's NIC)."""
    mgmt_prefix = fabric.management_cidr.prefixlen
    in_ns_all(host, [
        ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"],
        ["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"],
        # eth1 is an OVS port, yet the kernel sees its frames too: it must not answer ARP for
        # br-phy's tunnel IP with eth1's MAC (OVS terminates tunnels only on the bridge MAC)
        ["sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1"],
        ["sysctl", "-qw", "net.ipv4.conf.all.arp_announce=2"],
        ["ip", "link", "set", "lo", "up"],
        ["ip", "addr", "add", f"{node.management_ip}/{mgmt_prefix}", "dev", MGMT_IF],
        ["ip", "link", "set", MGMT_IF, "up"],
        ["ip", "link", "set", DATA_IF, "up"]])
    host.ovs.start()
    bridges = list(bridges_of(node))
    args = ["--", "set-manager", f"ptcp:{OVSDB_PORT}:{node.management_ip}"]
    for br in bridges:
        args += ["--", "add-br", br, "--", "set", "bridge", br, "datapath_type=netdev",
                 f"protocols={OPENFLOW_PROTOCOLS}", "fail_mode=secure",
                 f"other_config:datapath-id={datapath_id(node, br)}",
                 "other_config:disable-in-band=true"]
    args += ["--", "add-port", BR_INT, PATCH_TUN, "--", "set", "interface", PATCH_TUN,
             "type=patch", f"options:peer={PATCH_INT}",
             "--", "add-port", BR_TUN, PATCH_INT, "--", "set", "interface", PATCH_INT,
             "type=patch", f"options:peer={PATCH_TUN}",
             "--", "add-br", BR_PHY, "--", "set", "bridge", BR_PHY, "datapath_type=netdev",
             "fail_mode=standalone", f"other_config:datapath-id={datapath_id(node, BR_PHY)}",
             f"other_config:hwaddr={phy_mac(node)}",
             "--", "add-port", BR_PHY, DATA_IF]
    for m in node.bridge_mappings:   # as the operator and Neutron's agent set them up
        args += ["--", "add-port", m.bridge, m.nic,
                 "--", "add-port", BR_INT, m.int_patch, "--", "set", "interface", m.int_patch,
                 "type=patch", f"options:peer={m.phy_patch}",
                 "--", "add-port", m.bridge, m.phy_patch, "--", "set", "interface",
                 m.phy_patch, "type=patch", f"options:peer={m.int_patch}"]
    nics = [m.nic for m in node.bridge_mappings] + ([EXT_IF] if external else [])
    if nics:   # (veths with checksum offload: the netdev datapath sends them broken)
        in_ns_all(host, [step for nic in nics for step in (["ethtool", "-K", nic, "tx", "off"],
                                                           ["ip", "link", "set", nic, "up"])])
    if external:
        args += ["--", "add-port", BR_EX, EXT_IF]
    host.ovs.vsctl(*args)
    configure_phy(host, node, fabric)
    connect_controller(host, bridges, fabric)


def connect_controller(host: NeutronNode, bridges, fabric: Fabric) -> None:
    """(Re)create each bridge's Controller row: the bridge connects at once. (An old row is
    removed first in its own transaction: OVS keeps a connection whose target is unchanged,
    with whatever reconnect backoff it is waiting out.)"""
    host.ovs.vsctl(*[arg for br in bridges for arg in ("--", "del-controller", br)])
    # Each Controller row is created complete, in one transaction for all bridges.
    # (OVS 3.1 here kept its default 1-2-4-8 s reconnect schedule whatever max_backoff said,
    # so the deployment starts the controller before the nodes instead.)
    target = f"tcp:{fabric.controller_ip}:{fabric.controller_port}"
    args = []
    for br in bridges:
        ref = "@c_" + br.replace("-", "_")
        args += ["--", f"--id={ref}", "create", "controller", f'target="{target}"',
                 "connection-mode=out-of-band", "--", "set", "bridge", br, f"controller={ref}"]
    host.ovs.vsctl(*args)


def configure_phy(host: NeutronNode, node: Node, fabric: Fabric) -> None:
    """The tunnel endpoint: br-phy's kernel device (a tap ovs-vswitchd creates, so again after
    each restart of it) gets the bridge MAC OVS terminates tunnels on and the tunnel IP."""
    in_ns(host, "ip", "link", "set", BR_PHY, "address", phy_mac(node))
    in_ns(host, "ip", "addr", "replace", f"{node.tunnel_ip}/{fabric.data_cidr.prefixlen}",
          "dev", BR_PHY)
    in_ns(host, "ip", "link", "set", BR_PHY, "up")


def seed_tunnel_neighbours(host: NeutronNode, node: Node, cloud: Cloud) -> None:
    """Tell the node's OVS the MAC of every other tunnel endpoint.

    OVS's userspace tunnelling resolves the underlay next hop itself and loses the first
    packet to a new peer while it does (about 1 s); a kernel ping over br-phy does not fill
    its cache. These entries are the data network's static ARP table.
    """
    host.ovs.appctl_all([["tnl/neigh/set", BR_PHY, str(peer.tunnel_ip), phy_mac(peer)]
                         for peer in cloud.nodes if peer.name != node.name])


def vm_uuid(port: Port) -> str:
    """A stable instance UUID for the VM owning a port (what Nova writes as vm-uuid)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "neutron-overlay:vm:" + port.id))


def tap_mac(port: Port) -> str:
    """Host side of a VM's NIC: Nova/libvirt use the VM's MAC with the first octet fe."""
    return "fe" + port.mac[2:]


# A VM's IPv6 stays quiet once its addresses are up, so that tests counting frames on the
# wire see only their own traffic: no router solicitations (nothing would answer them; Linux
# retries forever), MLD's unsolicited reports repeated within 0.1 s instead of 1 s.
VM_IPV6_SYSCTLS = {"accept_ra": 0, "router_solicitations": 0,
                   "mldv1_unsolicited_report_interval": 100,
                   "mldv2_unsolicited_report_interval": 100}


def plug_vm(vm: Host, host: NeutronNode, port: Port, cloud: Cloud) -> Link:
    """Connect VM `vm` to its node's br-int as Nova does: tap<port id[:11]> with external_ids."""
    net = cloud.network(port.network_id)
    tap = tap_name(port.id)
    link = Link(vm, host, intfName1="eth0", intfName2=tap, addr1=port.mac, addr2=tap_mac(port))
    ipv6 = any(ip.version == 6 for ip in port.ips)
    steps = [["sysctl", "-qw", "net.ipv6.conf.eth0.disable_ipv6=" + ("0" if ipv6 else "1")]]
    if ipv6:  # static addresses, as from a config drive: no router to solicit here
        steps.append(["sysctl", "-qw", *(f"net.ipv6.conf.eth0.{key}={value}"
                                         for key, value in VM_IPV6_SYSCTLS.items())])
    # With DHCP the VM learns its IPv4 address, default route and MTU from the network node
    # (mininet_topos/dhcp.py starts the client once the NIC is plugged); IPv6 stays static.
    static = [ip for ip in port.ips if not (net.enable_dhcp and ip.version == 4)]
    steps += [["ip", "addr", "add", f"{ip}/{net.subnet_of(ip).cidr.prefixlen}", "dev", "eth0"]
              for ip in static]
    if not net.enable_dhcp:
        steps.append(["ip", "link", "set", "eth0", "mtu", str(net.mtu)])
    steps += [["ip", "link", "set", "eth0", "up"],
              ["ethtool", "-K", "eth0", "tx", "off"]]  # veth TX checksum offload breaks TCP
    v4 = net.subnet(4)
    if not net.enable_dhcp and v4 is not None and v4.gateway_ip is not None and \
            any(ip.version == 4 for ip in port.ips):
        steps.append(["ip", "route", "add", "default", "via", str(v4.gateway_ip)])
    in_ns_all(vm, steps)   # (one process for all of them: plugging 200 VMs is 200 of these)
    in_ns_all(host, [["ethtool", "-K", tap, "tx", "off"], ["ip", "link", "set", tap, "up"]])
    host.ovs.vsctl("--", "add-port", BR_INT, tap, "--", "set", "interface", tap,
                   f"external_ids:iface-id={port.id}", f"external_ids:attached-mac={port.mac}",
                   f"external_ids:vm-uuid={vm_uuid(port)}", "external_ids:iface-status=active")
    return link
