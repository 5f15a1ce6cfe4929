"""`overlay graph`: the cloud as a picture (Graphviz's dot language, drawn by `dot`).

Each node is a box holding its bridges (br-int, br-tun, br-ex, br-ethN) joined by their patch
ports; VMs hang off br-int, coloured by network; the network node's qdhcp- and qrouter-
namespaces hang off br-int (qr-, tap) and br-ex (qg-); the tunnels that exist (VXLAN, GRE:
the controller's tunnel set, so with L2 population only between nodes that share a network)
join br-tun to br-tun; each physical network is a switch joined to every br-ethN on it; the
external segment joins br-ex to the external gateway host; floating IPs point from it to
their ports. With counters (a mapping of graph ids to text), tunnels and ports are annotated.
Every element has a stable id (`node:compute1`, `bridge:compute1/br-int`, `port:<id>`,
`router:<id>`, `tunnel:vxlan:compute1:compute2`, `fip:<ip>`) that the SVG keeps as its title.
"""
from __future__ import annotations

import subprocess
from collections.abc import Mapping

from cloud.model import OWNER_DHCP, Cloud
from cloud.naming import BR_EX, BR_INT, BR_TUN, PATCH_INT, PATCH_TUN
from flows.desired import bridges_of
from flows.tunnels import desired_tunnels

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
FORMATS = ("svg", "png", "dot")


def _q(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _node(ident: str, label: str, **attrs) -> str:
    extra = "".join(f", {k}={_q(v)}" for k, v in attrs.items())
    return f"    {_q(ident)} [label={_q(label)}{extra}];"


def _edge(a: str, b: str, ident: str, label: str = "", **attrs) -> str:
    extra = "".join(f", {k}={_q(v)}" for k, v in attrs.items())
    return f"  {_q(a)} -- {_q(b)} [id={_q(ident)}, tooltip={_q(ident)}, label={_q(label)}{extra}];"


def tunnel_ids(cloud: Cloud) -> list[tuple[str, str, str, str]]:
    """(id, type, node a, node b) of every tunnel that exists, once per pair and type."""
    seen = {}
    for node in cloud.nodes:
        for spec in desired_tunnels(cloud, node.name).values():
            a, b = sorted((node.name, spec.remote_node))
            seen[(spec.type, a, b)] = f"tunnel:{spec.type}:{a}:{b}"
    return [(ident, kind, a, b) for (kind, a, b), ident in sorted(seen.items())]


def dot(cloud: Cloud, counters: Mapping[str, str] | None = None) -> str:
    counters = counters or {}
    colour = {n.id: PALETTE[i % len(PALETTE)] for i, n in enumerate(cloud.networks)}
    out = [f"graph {_q(cloud.name)} {{", "  newrank=true; rankdir=LR;",
           '  node [fontname="Helvetica", fontsize=10]; edge [fontname="Helvetica", '
           'fontsize=9];']
    for node in cloud.nodes:
        out.append(f"  subgraph {_q('cluster_' + node.name)} {{")
        title = f"{node.name} ({node.role}, {node.tunnel_ip})"
        out.append(f"    id={_q('node:' + node.name)}; label={_q(title)};")
        for bridge in bridges_of(node):
            out.append(_node(f"bridge:{node.name}/{bridge}", bridge, shape="box",
                             style="filled", fillcolor="#eeeeee"))
        for port in cloud.ports_on(node.name):
            ident = f"port:{port.id}"
            label = f"{port.name or port.id[:8]}\n{port.device}\n" + ", ".join(
                str(ip) for ip in port.ips)
            if ident in counters:
                label += f"\n{counters[ident]}"
            if port.is_router_interface or port.device_owner == OWNER_DHCP:
                continue   # drawn in their namespaces below
            out.append(_node(ident, label, shape="ellipse", style="filled",
                             fillcolor=colour[port.network_id], fontcolor="white"))
        for router in cloud.routers:
            if router.node == node.name:
                out.append(_node(f"router:{router.id}", f"{router.namespace[:17]}...\n"
                                 f"router {router.name or router.id}", shape="component"))
        for port in cloud.ports_on(node.name):
            if port.device_owner == OWNER_DHCP:
                out.append(_node(f"port:{port.id}", f"qdhcp-{port.network_id[:8]}...\n"
                                 f"dnsmasq {port.ips[0] if port.ips else ''}",
                                 shape="folder", color=colour[port.network_id]))
        out.append("  }")
    out += _links(cloud, colour, counters)
    out += _legend(cloud, colour)
    out.append("}")
    return "\n".join(out) + "\n"


def _links(cloud: Cloud, colour: dict, counters: Mapping[str, str]) -> list[str]:
    out = []
    for node in cloud.nodes:
        br = lambda name, n=node.name: f"bridge:{n}/{name}"  # noqa: E731
        out.append(_edge(br(BR_INT), br(BR_TUN), f"patch:{node.name}/{BR_TUN}",
                         f"{PATCH_TUN} / {PATCH_INT}", style="dashed"))
        for m in node.bridge_mappings:
            out.append(_edge(br(BR_INT), br(m.bridge), f"patch:{node.name}/{m.bridge}",
                             f"{m.int_patch} / {m.phy_patch}", style="dashed"))
            out.append(_edge(br(m.bridge), f"physnet:{m.physnet}",
                             f"nic:{node.name}/{m.nic}", m.nic))
        for port in cloud.ports_on(node.name):
            if port.is_router_interface:
                out.append(_edge(br(BR_INT), f"router:{port.router_id}", f"port:{port.id}",
                                 f"{port.device}\n{', '.join(map(str, port.ips))}",
                                 color=colour[port.network_id]))
            else:
                out.append(_edge(br(BR_INT), f"port:{port.id}", f"link:{port.id}",
                                 color=colour[port.network_id]))
        for router in cloud.routers:
            if router.node == node.name and router.gateway is not None:
                out.append(_edge(br(BR_EX), f"router:{router.id}",
                                 f"port:{router.gateway.port_id}",
                                 f"{router.gateway.device}\n{router.gateway.ip}"))
        if cloud.external is not None and BR_EX in bridges_of(node):
            out.append(_edge(br(BR_EX), "external", f"nic:{node.name}/external", "eth2"))
    for ident, kind, a, b in tunnel_ids(cloud):
        label = kind.upper() + (f"\n{counters[ident]}" if ident in counters else "")
        out.append(_edge(f"bridge:{a}/{BR_TUN}", f"bridge:{b}/{BR_TUN}", ident, label,
                         style="bold", color="#555555" if kind == "vxlan" else "#aa5500"))
    for fip in cloud.floating_ips:
        if fip.port_id is not None:
            out.append(_edge("external", f"port:{fip.port_id}", f"fip:{fip.ip}",
                             f"floating IP {fip.ip}", style="dotted", constraint="false"))
    return out


def _legend(cloud: Cloud, colour: dict) -> list[str]:
    out = []
    for physnet in cloud.physical_networks:
        out.append(_node(f"physnet:{physnet.name}", f"{physnet.name}\nphysical switch "
                         "(802.1Q trunks)", shape="hexagon"))
    if cloud.external is not None:
        ext = cloud.external
        out.append(_node("external", f"{ext.name} {ext.cidr}\ngateway {ext.gateway_ip}",
                         shape="hexagon"))
    out.append('  subgraph "cluster_legend" { label="networks"; id="legend";')
    for net in cloud.networks:
        seg = "" if net.segmentation_id is None else f" {net.segmentation_id}"
        where = f" on {net.physical_network}" if net.physical_network else ""
        out.append(_node(f"network:{net.id}", f"{net.name or net.id}: {net.type}{seg}{where}\n"
                         + ", ".join(map(str, net.cidrs)), shape="note", style="filled",
                         fillcolor=colour[net.id], fontcolor="white"))
    out.append("  }")
    return out


def draw(text: str, path: str) -> None:
    """Write the picture: .dot as it is, .svg and .png drawn by Graphviz's dot."""
    kind = path.rsplit(".", 1)[-1].lower()
    if kind not in FORMATS:
        raise ValueError(f"{path}: the picture's name must end in .svg, .png or .dot")
    if kind == "dot":
        with open(path, "w") as fh:
            fh.write(text)
        return
    try:
        subprocess.run(["dot", f"-T{kind}", "-o", path], input=text, text=True, check=True,
                       capture_output=True, timeout=120)
    except FileNotFoundError:
        raise RuntimeError("Graphviz's dot is not installed (Debian: apt install graphviz)"
                           ) from None
