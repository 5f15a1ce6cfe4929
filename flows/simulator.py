"""A small OpenFlow table simulator for the pipeline's vocabulary.

Pushes a packet description through computed tables the way ovs-vswitchd would: highest
priority match per table (two matching flows of equal priority is an error: OpenFlow leaves
the choice undefined), apply-actions in order, goto, table miss = drop, output to the in_port
skipped, patch ports crossing to the peer bridge with registers, tunnel and conntrack fields
cleared (as OVS's xlate clears them), tunnel ports
crossing to the remote node's br-tun. Learn actions write real flows into the simulated table.
Conjunctive matches are resolved as OVS's classifier does (a complete conjunction above the
best ordinary match sets conj_id and the table is searched again); ct() looks the packet up
in its node's connection tracker (flows/conntrack.py), commits, and with a table recirculates
the packet there once the current actions are done. NORMAL (and the physical network's
switch, a trunk on every node's NIC) sends a frame where its bridge has learned the
destination (Bridge.learned, Simulator.learned: what a converged cloud's switches know of its
ports' MACs), else floods it. tests/pipeline checks its verdicts
against `ovs-appctl ofproto/trace` on a real bridge.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from collections.abc import Iterable

import netaddr

from flows.conntrack import Conntrack
from flows.sim_types import (METADATA, Delivery, End, Entry, Hit, Packet,  # noqa: F401
                             Result, Transmission, WireFrame)
from flows.flow import (IP_FIELDS, MAC_FIELDS, OFPP_IN_PORT, OFPP_NORMAL, OFPVID_PRESENT,
                        Conjunction, Ct,
                        CtClear, Flow, Learn, LearnLoad, LearnMatch, LearnOutput, Move, Output,
                        PopVlan, PushVlan, SetField, match)

MAX_HOPS = 64
class SimulationError(Exception):
    pass


def _as_int(name: str, value) -> int:
    if name in MAC_FIELDS:
        return int(netaddr.EUI(value))
    if name in IP_FIELDS:
        return int(ipaddress.ip_address(value))
    return int(value)


def _vid(fields: dict) -> int:
    """The VLAN a switch files a frame under (0: untagged)."""
    tci = fields.get("vlan_tci", 0)
    return tci & 0xFFF if tci & OFPVID_PRESENT else 0


def _clear(packet: Packet) -> None:
    """A packet crossing a patch port (or reaching another node): registers, tunnel and
    conntrack fields zero, as OVS's xlate does at a patch port."""
    packet.fields.update({name: 0 for name in METADATA if name != "vlan_tci"})


def matches(flow: Flow, packet: Packet) -> bool:
    for name, want in flow.match:
        have = packet.get(name)
        if have is None:
            return False
        if isinstance(want, tuple):
            value, mask = (_as_int(name, v) for v in want)
            if _as_int(name, have) & mask != value & mask:
                return False
        elif _as_int(name, have) != _as_int(name, want):
            return False
    return True


@dataclass(frozen=True)
class Endpoint:
    """What is behind a port: a VM, the peer end of a patch port, a tunnel to a node, or a
    NIC cabled to a physical network's switch."""
    kind: str                # "vm" | "patch" | "tunnel" | "nic"
    name: str
    peer_bridge: str = ""    # patch: the bridge of the peer port
    peer_port: str = ""      # patch: the peer port's name
    remote_node: str = ""    # tunnel
    tunnel_type: str = ""    # tunnel
    physnet: str = ""        # nic


def _conjunctive(flow: Flow) -> bool:
    return bool(flow.actions) and all(isinstance(a, Conjunction) for a in flow.actions)


def _complete(flows: Iterable[Flow]) -> list[int]:
    """Conjunction ids every clause of which some of these flows match."""
    clauses: dict[int, set[int]] = {}
    needed: dict[int, int] = {}
    for flow in flows:
        for action in flow.actions:
            clauses.setdefault(action.id, set()).add(action.clause)
            needed[action.id] = action.n_clauses
    return sorted(i for i, seen in clauses.items() if len(seen) == needed[i])


class Bridge:
    def __init__(self, node: str, name: str, flows: Iterable[Flow]):
        self.node, self.name = node, name
        self.tables: dict[int, dict[tuple, Flow]] = {}
        for flow in flows:
            self.install(flow)
        self.ports: dict[int, Endpoint] = {}
        self.learned: dict[tuple[int, str], int] = {}   # NORMAL's: (VLAN id, MAC) -> port

    def install(self, flow: Flow) -> None:
        self.tables.setdefault(flow.table, {})[flow.key] = flow

    def lookup(self, table: int, packet: Packet) -> Flow | None:
        candidates = [f for f in self.tables.get(table, {}).values() if matches(f, packet)]
        hard = [f for f in candidates if not _conjunctive(f)]
        best = max((f.priority for f in hard), default=-1)
        soft = [f for f in candidates if _conjunctive(f) and f.priority >= best]
        for priority in sorted({f.priority for f in soft}, reverse=True):
            if priority == best:
                raise SimulationError(f"{self.node}/{self.name} table {table}: a conjunctive "
                                      f"and an ordinary flow of priority {best} both match")
            done = _complete(f for f in soft if f.priority == priority)
            if done:  # the table searched again with conj_id set: its conj_id flow (of
                # several complete at once OVS takes any: here the lowest id)
                packet.fields["conj_id"] = done[0]
                try:
                    return self._unique(table, [
                        f for f in self.tables[table].values()
                        if f.get("conj_id") == done[0] and matches(f, packet)])
                finally:
                    packet.fields["conj_id"] = 0
        return self._unique(table, [f for f in hard if f.priority == best])

    def _unique(self, table: int, top: list[Flow]) -> Flow | None:
        if len(top) > 1:
            raise SimulationError(f"{self.node}/{self.name} table {table}: {len(top)} flows of "
                                  f"priority {top[0].priority} match")
        return top[0] if top else None

    def port_no(self, name: str) -> int:
        for no, endpoint in self.ports.items():
            if endpoint.name == name:
                return no
        raise KeyError(f"{self.node}/{self.name} has no port {name}")


class Simulator:
    def __init__(self) -> None:
        self.bridges: dict[tuple[str, str], Bridge] = {}
        self.tunnel_ips: dict[str, str] = {}
        self.conntrack: dict[str, Conntrack] = {}   # node -> its (ovs-vswitchd's) tracker
        # each physical network's switch: (VLAN id, MAC) -> the node it has learned it at
        self.learned: dict[str, dict[tuple[int, str], str]] = {}

    def tracker(self, node: str) -> Conntrack:
        return self.conntrack.setdefault(node, Conntrack())

    def bridge(self, node: str, name: str) -> Bridge:
        return self.bridges[(node, name)]

    def add_bridge(self, node: str, name: str, flows: Iterable[Flow]) -> Bridge:
        bridge = self.bridges[(node, name)] = Bridge(node, name, flows)
        return bridge

    def inject(self, node: str, bridge: str, port: str, packet: Packet) -> Result:
        """A packet enters `bridge` of `node` through the port named `port`."""
        result = Result()
        br = self.bridge(node, bridge)
        self._enter(br, br.port_no(port), packet.copy(), result, 0)
        return result

    def send_from(self, node: str, port: str, packet: Packet) -> Result:
        """A VM behind tap device `port` on `node` sends a packet into br-int."""
        return self.inject(node, "br-int", port, packet)

    # ------------------------------------------------------------------------ processing
    def _enter(self, br: Bridge, in_port: int, packet: Packet, result: Result, hops: int):
        """The packet enters a node (a new segment)."""
        result.entries.append(Entry(br.node, br.name, in_port, packet.copy()))
        self._process(br, in_port, packet, result, hops, len(result.entries) - 1)

    def _process(self, br: Bridge, in_port: int, packet: Packet, result: Result, hops: int,
                 segment: int = 0):
        if hops > MAX_HOPS:
            raise SimulationError("forwarding loop: more than %d bridge crossings" % MAX_HOPS)
        packet.fields["in_port"] = in_port
        packet.fields["_segment"] = segment
        self._run(br, 0, packet, result, hops)

    def _run(self, br: Bridge, table: int | None, packet: Packet, result: Result, hops: int):
        recirculate: list[tuple[int, Packet]] = []
        segment = packet.fields.get("_segment", 0)
        while table is not None:
            flow = br.lookup(table, packet)
            if flow is None:   # table miss: drop
                result.ends.append(End(br.node, br.name, table, None, "miss", packet.copy(),
                                       segment))
                break
            result.hits.append(Hit(br.node, br.name, flow, segment))
            outputs = len(result.deliveries) + len(result.transmissions) + len(result.wire)
            crossings, ends = len(result.hits), len(result.ends)
            for action in flow.actions:
                if isinstance(action, Ct):
                    self._ct(br, action, packet, recirculate)
                else:
                    self._apply(br, action, packet, result, hops)
            if flow.goto is not None and flow.goto <= table:
                raise SimulationError(f"goto_table:{flow.goto} from table {table}")
            went = (len(result.deliveries) + len(result.transmissions) + len(result.wire)
                    > outputs or len(result.hits) > crossings or len(result.ends) > ends)
            if flow.goto is None and not went and not recirculate and not any(
                    isinstance(a, Learn) for a in flow.actions):
                kind = "in_port" if any(isinstance(a, Output) for a in flow.actions) else "drop"
                result.ends.append(End(br.node, br.name, table, flow, kind, packet.copy(),
                                       segment))
            table = flow.goto
        for again, copy in recirculate:  # after the actions, as OVS recirculates
            self._run(br, again, copy, result, hops)

    def _ct(self, br: Bridge, ct: Ct, packet: Packet, recirculate: list) -> None:
        """ct(): look up (and commit) in the zone held in ct.zone_reg; with a table, a copy
        carrying the new ct_* fields continues there; without, the packet goes on as it was
        (OVS fills in the ct fields only for the recirculated packet)."""
        f = packet.fields
        zone = f.get(ct.zone_reg, 0) & 0xFFFF
        tracker = self.tracker(br.node)
        if ct.commit:
            tracker.commit(f, zone, ct.mark)
        if ct.table is not None:
            state, mark = tracker.lookup(f, zone)
            copy = packet.copy()
            copy.fields.update(ct_state=state, ct_zone=zone, ct_mark=mark)
            recirculate.append((ct.table, copy))

    def _apply(self, br: Bridge, action, packet: Packet, result: Result, hops: int) -> None:
        f = packet.fields
        if isinstance(action, Output) and action.port == OFPP_NORMAL:
            known = br.learned.get((_vid(f), f.get("eth_dst")))
            for port in [known] if known is not None else sorted(br.ports):
                if port != f["in_port"]:   # (a learned MAC: there; else a flood)
                    self._output(br, port, packet.copy(), result, hops)
        elif isinstance(action, Output):
            port = f["in_port"] if action.port == OFPP_IN_PORT else action.port
            if port == f["in_port"] and action.port != OFPP_IN_PORT:
                return  # OVS never sends a packet back out of its in_port implicitly
            self._output(br, port, packet.copy(), result, hops)
        elif isinstance(action, PushVlan):
            f["vlan_tci"] = OFPVID_PRESENT
        elif isinstance(action, PopVlan):
            f["vlan_tci"] = 0
        elif isinstance(action, SetField):
            if action.field == "vlan_vid":
                f["vlan_tci"] = (f["vlan_tci"] & 0xE000) | action.value
            else:
                f[action.field] = action.value
        elif isinstance(action, Move):
            f[action.dst] = f.get(action.src)
        elif isinstance(action, Learn):
            br.install(self._learned(action, packet))
        elif isinstance(action, CtClear):
            f.update(ct_state=0, ct_zone=0, ct_mark=0)
        else:
            raise SimulationError(f"cannot simulate {action!r}")

    @staticmethod
    def _learned(learn: Learn, packet: Packet) -> Flow:
        fields, actions = {}, []
        for spec in learn.specs:
            if isinstance(spec, LearnMatch):
                if spec.dst == "vlan_tci":  # the 12 VID bits, as OVS writes it: 0x0001/0x0fff
                    fields["vlan_vid"] = (packet.fields["vlan_tci"] & 0xFFF, 0xFFF)
                else:
                    fields[spec.dst] = packet.get(spec.src)
            elif isinstance(spec, LearnLoad):
                value = spec.src if isinstance(spec.src, int) else packet.get(spec.src)
                if spec.dst == "vlan_tci" and value == 0:
                    actions.append(PopVlan())
                else:
                    actions.append(SetField(spec.dst, value))
            elif isinstance(spec, LearnOutput):
                actions.append(Output(packet.get(spec.src)))
        return Flow(learn.table, learn.priority, match(**fields), tuple(actions),
                    cookie=learn.cookie)

    def _output(self, br: Bridge, port: int, packet: Packet, result: Result, hops: int):
        endpoint = br.ports.get(port)
        if endpoint is None:
            return  # OVS drops output to a port that does not exist
        if endpoint.kind == "vm":
            result.deliveries.append(Delivery(br.node, endpoint.name, packet))
        elif endpoint.kind == "patch":
            peer = self.bridge(br.node, endpoint.peer_bridge)
            _clear(packet)   # OVS clears registers, tunnel and conntrack fields there
            self._process(peer, peer.port_no(endpoint.peer_port), packet, result, hops + 1,
                          packet.fields.get("_segment", 0))
        elif endpoint.kind == "tunnel":
            result.transmissions.append(Transmission(br.node, endpoint.name,
                                                     endpoint.remote_node,
                                                     packet.fields["tunnel_id"]))
            self._arrive(br, endpoint, packet, result, hops)
        elif endpoint.kind == "nic":
            result.wire.append(WireFrame(br.node, endpoint.physnet, packet.fields["vlan_tci"]))
            self._switch(br, endpoint, packet, result, hops)

    def _switch(self, br: Bridge, nic: Endpoint, packet: Packet, result: Result,
                hops: int) -> None:
        """The physical network's switch: a trunk on every node's NIC of it, passing each
        frame as it is (tag and all) to the node that has its destination (learned), else to
        every other NIC."""
        f = packet.fields
        known = self.learned.get(nic.physnet, {}).get((_vid(f), f.get("eth_dst")))
        for other in self.bridges.values():
            if other.node == br.node or known not in (None, other.node):
                continue
            for no, endpoint in sorted(other.ports.items()):
                if endpoint.kind == "nic" and endpoint.physnet == nic.physnet:
                    frame = packet.copy()
                    _clear(frame)
                    self._enter(other, no, frame, result, hops + 1)

    def _arrive(self, br: Bridge, endpoint: Endpoint, packet: Packet, result: Result,
                hops: int) -> None:
        """The encapsulated frame reaches the remote br-tun on its tunnel back to us."""
        remote = self.bridges.get((endpoint.remote_node, br.name))
        if remote is None:
            return
        back = next((no for no, e in remote.ports.items()
                     if e.kind == "tunnel" and e.remote_node == br.node
                     and e.tunnel_type == endpoint.tunnel_type), None)
        if back is None:
            return  # the remote node has no tunnel port for us: OVS drops it
        tunnel_id = packet.fields["tunnel_id"]
        _clear(packet)   # what arrives is the frame and its tunnel key, nothing else
        packet.fields["tunnel_id"] = tunnel_id
        self._enter(remote, back, packet, result, hops + 1)
