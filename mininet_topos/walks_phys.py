"""Seed 003's walks on VLAN and flat provider networks, on a running deployment, with
evidence from the physical network's switch (`tcpdump -e` on its root-namespace bridge) and
from the tunnel underlay. `make demo` prints them and tests/integration/test_provider.py
asserts on them.
"""
from __future__ import annotations

import contextlib
import os

from flows.neigh import ipv4s
from mininet_topos import frames
from mininet_topos.cloud import physnet_switch
from mininet_topos.deployment import Deployment
from mininet_topos.node import DATA_IF
from mininet_topos.traffic import Capture, ping, send_frames
from mininet_topos.walks import (COUNT, INTERVAL, Check, _capture, _pid, isolation, port,
                                 routed, walk1, walk3_snat, walk4)

TUNNELS = "udp port 4789 or ip proto 47"   # VXLAN or GRE on the data network


def _switch(d: Deployment, physnet: str) -> Capture:
    """tcpdump -e on the physical network's switch (in the root namespace: ours)."""
    return Capture(os.getpid(), physnet_switch(physnet), "",
                   on_start=lambda p: d.ec.state.add_pid(p, "tcpdump"))


def _tag(net) -> str:
    return f"vlan {net.segmentation_id}" if net.type == "vlan" else "untagged"


def across_physnet(d: Deployment, src: str, dst: str) -> Check:
    """Seed 003's cross-host walk: br-int tags with the local VLAN, br-eth1 rewrites it to the
    provider VLAN (or strips it, flat), the physical switch carries it, the other node's
    br-int takes it back to its own local VLAN. Evidence: the switch saw the echoes with the
    provider tag (flat: none) and no other; nothing of it crossed the tunnel underlay."""
    a, b = port(d, src), port(d, dst)
    net = d.cloud.network(a.network_id)
    with contextlib.ExitStack() as stack:
        wire = stack.enter_context(_switch(d, net.physical_network))
        tunnels = [stack.enter_context(_capture(d, node, DATA_IF, TUNNELS))
                   for node in (a.node, b.node)]
        result = ping(_pid(d, src), ipv4s(b)[0], count=COUNT, interval=INTERVAL)
    echoes = [x for x in wire.packets if "ICMP echo" in x and a.mac in x and b.mac in x]
    tag = _tag(net)
    right = [x for x in echoes if (tag in x if net.type == "vlan" else "802.1Q" not in x)]
    tunnelled = sum(1 for c in tunnels for x in c.packets if a.mac in x or b.mac in x)
    return Check(f"seed 003, cross host on {net.type.upper()} ({net.name}): "
                 f"{src}@{a.node} -> {dst}@{b.node} over {net.physical_network}",
                 result.ok and len(echoes) >= 2 * COUNT and len(right) == len(echoes)
                 and tunnelled == 0,
                 f"{result}; {physnet_switch(net.physical_network)} carried {len(echoes)} of "
                 f"their echoes, {len(right)} {tag}; {tunnelled} of their frames on the "
                 "tunnel underlay")


def tagged_from_vm(d: Deployment, src: str, dst: str) -> Check:
    """A VM sends frames tagged with another network's provider VLAN (and with its own), to
    a VM of that network: br-int takes only untagged frames from a VM port, so nothing
    reaches the physical switch or the target. The same frame untagged to a VM of its own
    network arrives (so the check can tell)."""
    a, b = port(d, src), port(d, dst)
    other = d.cloud.network(b.network_id)
    own = d.cloud.network(a.network_id)
    neighbour = next(p for p in d.cloud.ports if p.network_id == a.network_id and p.is_vm
                     and p.id != a.id)
    icmp = frames.ipv4_icmp_echo(ipv4s(a)[0], ipv4s(b)[0])
    tags = sorted({v for v in (other.segmentation_id, own.segmentation_id) if v})
    tagged = [frames.ethernet(b.mac, a.mac, 0x0800, icmp, vlan=vid) for vid in tags]
    untagged = frames.ethernet(neighbour.mac, a.mac, 0x0800,
                               frames.ipv4_icmp_echo(ipv4s(a)[0], ipv4s(neighbour)[0]))
    with contextlib.ExitStack() as stack:
        wire = stack.enter_context(_switch(d, own.physical_network))
        at_dst = stack.enter_context(_capture(d, dst, "eth0", "icmp"))
        at_own = stack.enter_context(_capture(d, neighbour.name, "eth0", "icmp"))
        for frame in tagged:
            send_frames(_pid(d, src), "raw", "eth0", frame.hex(), "3")
        send_frames(_pid(d, src), "raw", "eth0", untagged.hex(), "1")
    leaked = wire.count(a.mac, "802.1Q")
    arrived, control = at_dst.count(""), at_own.count("echo request")
    return Check(f"tagged frames from {src} ({own.name}) to {dst} ({other.name})",
                 leaked == 0 and arrived == 0 and control >= 1,
                 f"{3 * len(tagged)} frames tagged {', '.join(map(str, tags))}: {leaked} "
                 f"tagged frames on the physical switch, {arrived} at {dst}; the same frame "
                 f"untagged to {neighbour.name} arrived {control} time(s)")


def provider_walks(d: Deployment) -> list[Check]:
    """The demo's checks of the seed's provider networks (seed 003)."""
    if not {"vm-d1", "vm-d2", "vm-d3", "vm-e1", "vm-f1", "vm-f2"} <= {
            p.name for p in d.cloud.ports}:
        return []
    return [walk1(d, "vm-d1", "vm-d2"),
            across_physnet(d, "vm-d1", "vm-d3"), across_physnet(d, "vm-f2", "vm-f1"),
            isolation(d, "vm-d3", "vm-e1", "vm-d1"),
            tagged_from_vm(d, "vm-d1", "vm-e1"),
            walk4(d, "vm-d3"),
            routed(d, "vm-d1", "vm-c1", True),
            walk3_snat(d, "vm-d3")]
