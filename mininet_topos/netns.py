"""Named network namespaces on a network node (qdhcp-*, qrouter-*) and their ports.

A namespace device is one end of a veth whose other end is a port of one of the node's OVS
bridges (Open vSwitch internal ports moved into a namespace stop being tracked by the userspace
datapath). The namespace is made with `ip netns add` from the root namespace; the peer is sent
to the node by pid, since /run/netns/<ns> is not visible in the node's own mount namespace.
"""
from __future__ import annotations

import os
import subprocess

from mininet_topos.ovs import run
from mininet_topos.state import State


def in_netns(ns: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(["ip", "netns", "exec", ns, *argv], check=check)


def exists(ns: str) -> bool:
    return os.path.exists(os.path.join("/run/netns", ns))


def add(ns: str, state: State, ipv6: bool = True) -> None:
    """The namespace, recorded in `state` first (for cleanup), with lo up; without IPv6 if
    asked (no link-local, MLD or DAD traffic from its devices)."""
    state.add_netns(ns)
    run(["ip", "netns", "add", ns])
    if not ipv6:
        for key in ("all", "default"):
            in_netns(ns, "sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1")
    in_netns(ns, "ip", "link", "set", "lo", "up")


def delete(ns: str) -> None:
    """The namespace and, with it, its ends of the veths (whose peers then vanish too)."""
    if exists(ns):
        run(["ip", "netns", "del", ns])


def plug(host, ns: str, inner: str, outer: str, bridge: str, mac: str, mtu: int,
         addresses: list[str], external_ids: dict[str, str]) -> None:
    """A device `inner` in `ns` (MAC, MTU, addresses, up) whose veth peer `outer` is a port of
    `bridge` on `host`, the node, with Neutron's external_ids (iface-id, attached-mac)."""
    from mininet_topos.node import in_ns
    in_netns(ns, "ip", "link", "add", inner, "type", "veth", "peer", "name", outer,
             "netns", str(host.pid))
    in_netns(ns, "ip", "link", "set", inner, "address", mac, "mtu", str(mtu))
    for cidr in addresses:
        in_netns(ns, "ip", "addr", "add", cidr, "dev", inner)
    in_netns(ns, "ethtool", "-K", inner, "tx", "off")  # veth TX checksum offload breaks TCP
    in_netns(ns, "ip", "link", "set", inner, "up")
    in_ns(host, "ethtool", "-K", outer, "tx", "off")
    in_ns(host, "ip", "link", "set", outer, "mtu", str(mtu), "up")
    host.ovs.vsctl("--", "--may-exist", "add-port", bridge, outer, "--", "set", "interface",
                   outer, *(f"external_ids:{k}={v}" for k, v in external_ids.items()))


def unplug(host, ns: str, inner: str, outer: str, bridge: str) -> None:
    """Remove the device from the namespace (its peer goes with it) and the port from OVS."""
    in_netns(ns, "ip", "link", "del", inner, check=False)
    host.ovs.vsctl("--if-exists", "del-port", bridge, outer)


def devices(ns: str) -> list[str]:
    """Names of the namespace's devices other than lo."""
    out = in_netns(ns, "ip", "-o", "link", "show").stdout
    names = [line.split(":")[1].strip().split("@")[0] for line in out.splitlines()]
    return [n for n in names if n != "lo"]
