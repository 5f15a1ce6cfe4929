"""`overlay trace --verify`: each node a traced packet enters, traced again by the node's own
ovs-vswitchd (`ovs-appctl ofproto/trace`, from where and as it entered), and the two paths
compared flow by flow (bridge, table, priority; mininet_topos/ovstrace.py reads OVS's text).

The computed trace (flows/trace.py) follows the packet across nodes; ofproto/trace stops at a
node's tunnels, physical NICs and namespaces, so one call checks one node's segment of it.
Conntrack is the first packet's on both sides (OVS's trace: trk,new).
"""
from __future__ import annotations

import os

from cloud.naming import BR_PHY, BR_TUN, PATCH_INT, PATCH_TUN, parse_tunnel_port_name
from flows.trace_packet import render
from mininet_topos.ovs import OvsInstance
from mininet_topos.ovstrace import parse
from mininet_topos.state import BASE_DIR


def node_switches(cloud_name: str) -> dict[str, OvsInstance]:
    """The emulated cloud's nodes' Open vSwitch instances (their run directories)."""
    base = os.path.join(BASE_DIR, cloud_name)
    if not os.path.isdir(base):
        raise RuntimeError(f"no emulated cloud {cloud_name!r} on this machine ({base})")
    return {name: OvsInstance(os.path.join(base, name)) for name in sorted(os.listdir(base))
            if os.path.exists(os.path.join(base, name, "db.sock"))}


def _patches(ovs: OvsInstance) -> dict[str, set[int]]:
    """Each bridge's patch ports (an output there continues in the peer bridge)."""
    out = {}
    for bridge in ovs.vsctl("list-br").split():
        ports = ovs.ofports(bridge)
        out[bridge] = {no for name, no in ports.items()
                       if name in (PATCH_TUN, PATCH_INT) or name.startswith(("int-", "phy-"))}
    return out


def verify(found: dict, switches: dict[str, OvsInstance]) -> list[str]:
    """Differences between a trace (the API's answer) and ofproto/trace on the real switches;
    empty when every segment agrees."""
    differences = []
    for index, entry in enumerate(found["entries"]):
        node, bridge, in_port = entry["node"], entry["bridge"], entry["in_port"]
        ovs = switches.get(node)
        if ovs is None:
            differences.append(f"{node}: no switch of that node on this machine")
            continue
        flow = f"in_port={in_port}," + render(entry["packet"])
        tunnel = parse_tunnel_port_name(_port_name(ovs, bridge, in_port))
        if bridge == BR_TUN and tunnel is not None:
            local = ovs.vsctl("get", "interface", _port_name(ovs, bridge, in_port),
                              "options:local_ip").strip().strip('"')
            flow += f",tun_src={tunnel[1]},tun_dst={local}"
        text = ovs.appctl("ofproto/trace", bridge, flow)
        real = [hit for hit in parse(text, _patches(ovs), in_port).hits
                if hit[0] != BR_PHY]   # (the tunnel endpoint's bridge: the underlay)
        computed = [(h["bridge"], h["table"], h["priority"]) for h in found["hops"]
                    if h["segment"] == index]
        if real != computed:
            differences.append(f"{node} (entering {bridge} on port {in_port}): computed "
                               f"{_path(computed)}, ofproto/trace {_path(real)}")
    return differences


def _port_name(ovs: OvsInstance, bridge: str, ofport: int) -> str:
    return next((name for name, no in ovs.ofports(bridge).items() if no == ofport), "")


def _path(hits) -> str:
    return " ".join(f"{b}:{t}/{p}" for b, t, p in hits) or "(nothing)"
