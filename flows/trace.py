"""`overlay trace`: a packet followed through every bridge of every node it crosses, with the
controller's computed flows, each hop explained in the cloud's terms, and a verdict.

    trace(cloud, states, source, spec) -> Trace

`source` is a port (name or id: the packet leaves its VM), or NODE:PORT for a packet arriving
at a node from a tunnel (`compute1:vxlan-c0a8640c`, with tun_id), from a physical network
(`compute1:eth3`, with dl_vlan for a VLAN network) or from the external network
(`network:eth2`: for a router's address or floating IP, to its qg- port). `states` are the
nodes' local VLANs and port numbers as the controller knows them (so the hops name the real
ofports, and `ovs-appctl ofproto/trace` can check them: mininet_topos/trace_check.py). The
simulation is flows/simulator.py's; what each flow is for comes from flows/explain.py.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from cloud.model import OWNER_DHCP, Cloud, Port
from cloud.naming import BR_EX, BR_INT, BR_TUN, EXT_IF, parse_tunnel_port_name
from flows import cloudsim, explain, ofctl
from flows.declare import NAMES
from flows.desired import bridges_of, family
from flows.flow import ETH_TYPE_ARP
from flows.tables import DROPPED_TRAFFIC
from flows.simulator import Packet, Result
from flows.trace_packet import TraceError, complete, complete_arriving, parse, render
from flows.view import NodeState, NodeView

INTERNAL = ("in_port", "_segment")
IN_PORT_TEXT = explain.reason("", 0, None, "in_port")


@dataclass
class Hop:
    node: str
    bridge: str
    table: int
    priority: int
    name: str
    flow: str            # as ovs-ofctl prints it
    owners: list[str]    # what the flow exists for
    segment: int         # which entry into a node it belongs to


@dataclass
class Verdict:
    kind: str            # delivered | answered | namespace | dropped
    node: str
    text: str


@dataclass
class Trace:
    source: str
    packet: dict
    hops: list[Hop] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)   # node, bridge, in_port, packet

    @property
    def summary(self) -> str:
        """The answer if the switches answered; else every arrival; else the first drop."""
        for kinds in (("answered",), ("delivered", "namespace")):
            found = [v.text for v in self.verdicts if v.kind in kinds]
            if found:
                return "; ".join(dict.fromkeys(found))
        dropped = [v.text for v in self.verdicts if v.kind == "dropped"]
        return dropped[0] if dropped else "went nowhere"

    def as_dict(self) -> dict:
        return asdict(self) | {"summary": self.summary}


def _by_name(cloud: Cloud, ident: str) -> Port:
    ports = cloud.ports + cloud.unbound
    found = [p for p in ports if p.id == ident.lower()] or [p for p in ports if p.name == ident]
    if len(found) != 1:
        raise TraceError(f"no port {ident!r}" if not found else
                         f"{len(found)} ports are named {ident!r}: use its id")
    return found[0]


def trace(cloud: Cloud, states: Mapping[str, NodeState], source: str, spec: str) -> Trace:
    sim = cloudsim.build(cloud, states)
    fields = parse(spec)
    if ":" in source:
        node, port_name = source.split(":", 1)
        if node not in states:
            raise TraceError(f"no node {node!r} with known bridges")
        bridge, network = _arrival(cloud, node, port_name, fields)
        fields = complete_arriving(cloud, network, fields)
        start = (node, bridge, port_name)
    else:
        port = _by_name(cloud, source)
        if port.node is None:
            raise TraceError(f"port {source} is not bound to a node: it sends nothing")
        if port.device not in states.get(port.node, NodeState({})).int_ports:
            raise TraceError(f"port {source} is not plugged into br-int on {port.node}")
        fields = complete(cloud, port, fields)
        start = (port.node, BR_INT, port.device)
    try:
        result = sim.inject(*start, Packet.make(**fields))
    except KeyError as exc:   # (a tunnel or NIC the node's bridge does not have)
        raise TraceError(exc.args[0]) from None
    out = Trace(source, {k: v for k, v in fields.items() if k not in INTERNAL})
    _hops(cloud, states, result, out)
    _verdicts(cloud, source, fields, result, out)
    out.entries = [{"node": e.node, "bridge": e.bridge, "in_port": e.in_port,
                    "packet": {k: v for k, v in e.packet.fields.items() if k not in INTERNAL}}
                   for e in result.entries]
    return out


def _arrival(cloud: Cloud, node: str, port_name: str, fields: dict):
    """(bridge, network) of a packet arriving on a tunnel or physical NIC of `node`."""
    tunnel = parse_tunnel_port_name(port_name)
    if tunnel is not None:
        if "tunnel_id" not in fields:
            raise TraceError("a packet from a tunnel needs tun_id (the VNI or GRE key)")
        net = next((n for n in cloud.networks if n.type == tunnel[0]
                    and n.segmentation_id == fields["tunnel_id"]), None)
        return BR_TUN, net
    if port_name == EXT_IF and cloud.external is not None and \
            BR_EX in bridges_of(cloud.node(node)):
        dst = fields.get("ipv4_dst")
        router = next((r for r in cloud.routers if r.gateway is not None and dst in (
            str(r.gateway.ip), *(str(f.ip) for f, _ in cloud.floating_ips_of(r.id)))), None)
        if router is not None:   # (a packet for a router's address or floating IP: its qg)
            fields.setdefault("eth_dst", router.gateway.mac)
        return BR_EX, None
    mapping = next((m for m in cloud.node(node).bridge_mappings if m.nic == port_name), None)
    if mapping is None:
        raise TraceError(f"{port_name!r} is neither a tunnel port (vxlan-..., gre-...) nor "
                         f"a physical NIC of {node}")
    vid = fields.get("vlan_tci", 0) & 0xFFF if fields.get("vlan_tci") else None
    net = next((n for n in cloud.networks if n.physical_network == mapping.physnet
                and n.segmentation_id == vid), None)
    return mapping.bridge, net


def _hops(cloud: Cloud, states, result: Result, out: Trace) -> None:
    owners, routers = {}, {r.id: r.name or r.id for r in cloud.routers}
    for node in {h.node for h in result.hits}:
        owners[node] = explain.owners(NodeView.of_node(cloud, node, states[node]), routers)
    for hit in result.hits:
        fam = family(hit.bridge)
        out.hops.append(Hop(hit.node, hit.bridge, hit.flow.table, hit.flow.priority,
                            NAMES.get((fam, hit.flow.table), "?"), _flow_text(hit.flow),
                            owners[hit.node].get((hit.bridge, hit.flow.key), []),
                            hit.segment))


def _flow_text(flow) -> str:
    """A flow as dump-flows prints it, without what the hop says already (cookie, table)."""
    m = ofctl.render_match(flow)
    return f"priority={flow.priority}" + ("," + m if m else "") + " actions=" + \
        ofctl.render_actions(flow)


def _gateway_of(cloud: Cloud, device: str):
    """The router whose qg- device this is, if any."""
    return next((r for r in cloud.routers if r.gateway and r.gateway.device == device), None)


def _device_port(cloud: Cloud, node: str, device: str) -> Port | None:
    return next((p for p in cloud.ports_on(node) if p.device == device), None)


def _verdicts(cloud: Cloud, source: str, fields: dict, result: Result, out: Trace) -> None:
    sender = None if ":" in source else _by_name(cloud, source)
    for d in result.deliveries:
        port = _device_port(cloud, d.node, d.port)
        name = (port.name or port.id) if port else d.port
        if sender is not None and port is not None and port.id == sender.id:
            out.verdicts.append(Verdict("answered", d.node, _answer(d, out)))
        elif port is not None and port.is_router_interface:
            router = next(r for r in cloud.routers if r.id == port.router_id)
            out.verdicts.append(Verdict("namespace", d.node, f"leaves OVS on {d.node} into "
                                        f"{router.namespace} (router {router.name or router.id})"
                                        f" through {port.device}"))
        elif port is None and (router := _gateway_of(cloud, d.port)) is not None:
            out.verdicts.append(Verdict("namespace", d.node, f"leaves OVS on {d.node} into "
                                        f"{router.namespace} (router {router.name or router.id})"
                                        f" through {d.port}"))
        elif port is not None and port.device_owner == OWNER_DHCP:
            out.verdicts.append(Verdict("namespace", d.node, f"leaves OVS on {d.node} into "
                                        f"qdhcp-{port.network_id} (dnsmasq) through "
                                        f"{port.device}"))
        else:
            out.verdicts.append(Verdict("delivered", d.node, f"delivered to port {name} "
                                        f"({d.port}) on {d.node}"))
    for end in result.ends:
        fam = "phys" if family(end.bridge) not in (BR_INT, BR_TUN, BR_EX) else end.bridge
        name = NAMES.get((family(end.bridge), end.table), "")
        table, priority = end.table, end.flow.priority if end.flow else None
        if end.table == DROPPED_TRAFFIC:   # why it was sent there
            sent = _sender_of(result, end)
            table, priority = (sent.flow.table, sent.flow.priority) if sent else (table, None)
        why = explain.reason(fam, table, priority, end.kind)
        out.verdicts.append(Verdict("dropped", end.node, f"{why} (at {end.node} {end.bridge} "
                                    f"table {end.table} {name})"))
    arrived = any(v.kind in ("delivered", "namespace", "answered") for v in out.verdicts)
    if arrived:   # copies a flood (or NORMAL) sent where the destination is not: no news
        out.verdicts = [v for v in out.verdicts if not v.text.startswith(IN_PORT_TEXT)]
    elif sender is not None:
        _other_network(cloud, sender, fields, out)


def _sender_of(result: Result, end):
    """The hit that sent a packet to DROPPED_TRAFFIC: the last one before the drop there."""
    hits = [h for h in result.hits if (h.node, h.bridge, h.segment) ==
            (end.node, end.bridge, end.segment)]
    at = max((i for i, h in enumerate(hits) if h.flow.table == DROPPED_TRAFFIC), default=None)
    return hits[at - 1] if at else None


def _answer(delivery, out: Trace) -> str:
    """An ARP or ND answer back to the asker: which responder flow made it, for whom."""
    what = "ARP" if delivery.packet.fields.get("eth_type") == ETH_TYPE_ARP else "ND"
    maker = next((h for h in reversed(out.hops) if h.node == delivery.node
                  and h.name in ("LOCAL_RESPONDER", "ARP_RESPONDER")), None)
    if maker is None:
        return f"answered on {delivery.node}, back to the asker"
    about = f" for {maker.owners[0]}" if maker.owners else ""
    return (f"answered by {maker.bridge}'s {maker.name} (table {maker.table}) on "
            f"{delivery.node}{about}: no {what} request left the node")


def _other_network(cloud: Cloud, sender: Port, fields: dict, out: Trace) -> None:
    """A frame for a MAC of another network never reaches it: say whose MAC it was."""
    owner = next((p for p in cloud.ports if p.mac == fields.get("eth_dst")
                  and p.network_id != sender.network_id), None)
    if owner is None:
        return
    net = cloud.network(owner.network_id)
    text = (f"dropped: the destination MAC is port {owner.name or owner.id} of another "
            f"network, {net.name or net.id}; frames never leave their own network "
            f"({cloud.network(sender.network_id).name})")
    out.verdicts.insert(0, Verdict("dropped", sender.node, text))


def text(result: dict) -> str:
    """A trace (Trace.as_dict(), the API's answer) as `overlay trace` prints it."""
    lines = [f"trace from {result['source']}: {render(result['packet'])}"]
    last = None
    for hop in result["hops"]:
        if (hop["node"], hop["bridge"], hop["segment"]) != last:
            lines.append(f"  {hop['node']} {hop['bridge']}")
            last = (hop["node"], hop["bridge"], hop["segment"])
        lines.append(f"    {hop['table']:>2} {hop['name']:<30} {hop['flow']}")
        lines += [f"       <- {owner}" for owner in hop["owners"]]
    lines.append(f"verdict: {result['summary']}")
    said = set(result["summary"].split("; "))
    also = dict.fromkeys(v["text"] for v in result["verdicts"] if v["text"] not in said)
    lines += [f"  also: {line}" for line in also]
    return "\n".join(lines)
