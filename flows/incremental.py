"""What a change of the cloud asks of each node, and one port's change computed without
recomputing nodes.

`plan_change(old, new, what)` makes the typed Change the controller's node workers consume:
the nodes it concerns and how each follows it (a NodeWork). A change no flow depends on (an
unbound port, a name) concerns no node; a change of one bound port concerns the nodes that
host its network (before or after); a change of security groups alone concerns the nodes
with a filtered port in a changed group; anything else re-syncs every node whole.

A port created, updated or deleted touches only the nodes that host its network, and on each
of them only flows of that network: its own flows (br-int's on its node, br-tun's unicast
and ARP/ND answers elsewhere) and the network's flows (flood lists, DHCP server, local
flood, the firewall's remote-group members). When its addresses or groups change, the nodes
whose firewall admits its addresses through a remote-group rule also recompute their
member flows (clause 1 of those rules, per network). The diff
of those flows (NodeView.of_port) between the old and the new cloud is
exactly the full diff when the network's set of hosting nodes stays the same. On a node that
is neither the port's old nor its new home, with no DHCP server involved and the port staying
in its network, only the port's own br-tun flows can change: those are computed alone
(constant work per node, not proportional to the network's size). When the set of hosting
nodes changes (the network arrives on a node or leaves it), tunnels and local VLANs change
too and the hosting nodes are recomputed whole. tests/unit/test_incremental.py checks the
equality against full recomputation.
"""
from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cloud.model import OWNER_DHCP, Cloud, Port
from cloud.naming import BR_INT, BR_TUN
from flows import br_tun, firewall, localvlan
from flows.desired import bridge_flows, bridges_of, index
from flows.fw_rules import conjunction_blocks, merge
from flows.diff import Changes, diff
from flows.tunnels import tunnel_spec
from flows.view import NodeState, NodeView, RemotePort, Security, Tunnel

# What no flow depends on: where the cloud was read from, ports without a node.
NOT_IN_FLOWS = ("source", "unbound")


@dataclass(frozen=True)
class NodeWork:
    """How one node follows a change: WHOLE (recomputed entirely: tunnels and local VLANs
    may change), REMOTE (only the changed port's own br-tun flows), NETWORKS (the flows
    of these networks, as NodeView.of_port sees them) or MEMBERS (nothing but the next);
    with `members` (security group ids), also the firewall's remote-group member flows of
    its other networks whose ports' rules name one of these groups."""
    kind: str
    networks: tuple[str, ...] = ()
    members: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in (WHOLE_KIND, REMOTE_KIND, NETWORKS_KIND, MEMBERS_KIND):
            raise ValueError(f"unknown kind of node work {self.kind!r}")


WHOLE_KIND, REMOTE_KIND, NETWORKS_KIND, MEMBERS_KIND = "whole", "remote", "networks", "members"
WHOLE = NodeWork(WHOLE_KIND)
REMOTE = NodeWork(REMOTE_KIND)


def networks(*ids: str) -> NodeWork:
    return NodeWork(NETWORKS_KIND, tuple(ids))


@dataclass(frozen=True)
class Change:
    """One accepted change of the cloud, as the node workers follow it."""
    what: str                     # for the log: "create port 974a...", ...
    old: Cloud
    new: Cloud
    nodes: Mapping[str, NodeWork]  # the nodes it concerns, and how each follows it
    port_id: str | None = None    # the one bound port it is about (followed incrementally)

    def unconcerned(self) -> list[str]:
        """Nodes whose bridges are the same for the old and the new cloud."""
        return [n.name for n in self.new.nodes if n.name not in self.nodes]


def plan_change(old: Cloud, new: Cloud, what: str = "", port_id: str | None = None) -> Change:
    """The Change from `old` to `new`: whom it concerns, how each follows. port_id: the
    clouds are known to differ in that one port (bound or not) alone (a change made in
    place), which spares comparing them."""
    if port_id is not None:
        before, after = _find(old, port_id), _find(new, port_id)
        if before == after:   # (both unbound, or the change is not one of the Port's)
            return Change(what, old, new, {})
        return Change(what, old, new, plan(old, new, port_id), port_id)
    if not flows_may_change(old, new):
        return Change(what, old, new, {})
    port_id = single_port_change(old, new)
    if port_id is None:
        nodes = group_change_nodes(old, new)
        if nodes is None:
            nodes = {n.name for n in new.nodes}
        return Change(what, old, new, {n.name: WHOLE for n in new.nodes if n.name in nodes})
    return Change(what, old, new, plan(old, new, port_id), port_id)


def differ_beyond(old: Cloud, new: Cloud, *fields: str) -> bool:
    """Whether two clouds differ in anything flows depend on besides `fields`."""
    return any(getattr(old, f.name) != getattr(new, f.name) for f in dataclasses.fields(Cloud)
               if f.name not in fields + NOT_IN_FLOWS)


def group_change_nodes(old: Cloud, new: Cloud) -> set[str] | None:
    """The nodes a change of security groups alone (groups or rules created, changed or
    deleted) concerns: those with a filtered port in a group whose rules, or whose rules'
    conjunction ids, differ. None if anything else differs too."""
    if differ_beyond(old, new, "security_groups"):
        return None
    before = {g.id: g for g in old.security_groups}
    after = {g.id: g for g in new.security_groups}
    changed = {gid for gid in before.keys() | after.keys()
               if before.get(gid) is None or after.get(gid) is None
               or before[gid].rules != after[gid].rules}
    blocks_before = conjunction_blocks(old.security_groups)
    blocks_after = conjunction_blocks(new.security_groups)
    changed |= {key[0] for key in blocks_before.keys() | blocks_after.keys()
                if blocks_before.get(key) != blocks_after.get(key)}
    return {p.node for p in new.ports if p.filtered and changed.intersection(p.security_groups)}


def flows_may_change(old: Cloud, new: Cloud) -> bool:
    """Whether two clouds may differ in any flow (they differ beyond NOT_IN_FLOWS)."""
    return differ_beyond(old, new)


def single_port_change(old: Cloud, new: Cloud) -> str | None:
    """The id of the one bound port that differs between two clouds alike in everything
    else that flows depend on (a port created, updated, bound, unbound or deleted through
    the API), else None."""
    if differ_beyond(old, new, "ports"):
        return None
    differ = set(old.ports).symmetric_difference(new.ports)
    ids = {p.id for p in differ}
    return next(iter(ids)) if len(ids) == 1 else None


def _find(cloud: Cloud, port_id: str) -> Port | None:
    try:
        return cloud.port(port_id)
    except KeyError:
        return None


def plan(old: Cloud, new: Cloud, port_id: str) -> dict[str, NodeWork]:
    """node -> how its flows follow one port's change. Nodes the change does not concern are
    absent."""
    ports = [p for p in (_find(old, port_id), _find(new, port_id)) if p is not None]
    how: dict[str, NodeWork] = {}
    for network_id in dict.fromkeys(p.network_id for p in ports):
        old_hosts, new_hosts = old.hosts_of(network_id), new.hosts_of(network_id)
        for node in dict.fromkeys(old_hosts + new_hosts):
            if old_hosts != new_hosts:
                how[node] = WHOLE
            elif how.get(node) != WHOLE:
                how[node] = networks(*how.get(node, networks()).networks, network_id)
    if all(p.device_owner != OWNER_DHCP for p in ports) and \
            len({p.network_id for p in ports}) == 1:
        homes = {p.node for p in ports}
        for node, work in how.items():
            if work.kind == NETWORKS_KIND and node not in homes:
                how[node] = REMOTE
    nodes, groups = _member_nodes(old, new, port_id)
    for node in nodes:
        work = how.get(node)
        if work is None:
            how[node] = NodeWork(MEMBERS_KIND, members=groups)
        elif work.kind != WHOLE_KIND:
            how[node] = dataclasses.replace(work, members=groups)
    return how


def _membership(port: Port | None) -> tuple:
    return () if port is None else (port.security_groups, port.ips, port.allowed_address_pairs)


def _member_nodes(old: Cloud, new: Cloud, port_id: str) -> tuple[set[str], tuple[str, ...]]:
    """(nodes, groups): when the port's addresses or groups change, the groups whose
    members changed, and the nodes whose firewall admits members of them through a
    remote-group rule (every node with a filtered port in a group that has such a rule)."""
    before, after = _find(old, port_id), _find(new, port_id)
    if _membership(before) == _membership(after):
        return set(), ()
    groups = tuple(sorted({g for p in (before, after) if p is not None
                           for g in p.security_groups}))
    nodes = set()
    for cloud in (old, new):
        nodes |= {p.node for group in cloud.referring(groups)
                  for p in cloud.members(group) if p.filtered}
    return nodes, groups


def _flows(cloud: Cloud, node: str, state: NodeState, scopes, port: str | None):
    """bridge -> the node's flows: all of them (scopes None), or those of the scopes."""
    out: dict[str, dict] = {}
    for scope in scopes or (None,):
        view = NodeView.of_node(cloud, node, state) if scope is None else \
            NodeView.of_port(cloud, node, state, scope, port)
        for bridge in bridges_of(cloud.node(node)):
            out.setdefault(bridge, {}).update(bridge_flows(view, bridge))
    return out


def _remote_flows(cloud: Cloud, node: str, state: NodeState, port_id: str) -> dict:
    """br-tun's flows for one port of another node (nothing if it is not in this cloud)."""
    port = _find(cloud, port_id)
    if port is None:
        return {}
    net = cloud.network(port.network_id)
    if not net.tunnelled:   # (a VLAN or flat network's remote ports have no flows here)
        return {}
    spec = tunnel_spec(net.type, cloud.node(node), cloud.node(port.node))
    ofport = state.tun_ports.get(spec.name)
    if ofport is None or not cloud.l2_population:
        return {}
    remote = RemotePort(port, state.vlans[net.id], Tunnel(spec, ofport))
    return index(br_tun.remote_port_flows(remote, net.segmentation_id))


def _member_flows(cloud: Cloud, node: str, state: NodeState, skip, groups, keys) -> dict:
    """The firewall's remote-group member flows (br-int), as the whole node's view computes
    them (its plugged filtered ports' groups), of the node's networks but `skip` that have
    such a port in a group with a rule whose remote group is one of `groups`; of those, only
    the flows of the addresses `keys` (member_key): the changed port's, whose flows alone
    differ between its clouds (a flow per address holds every rule's conjunction for it)."""
    security = Security.of(cloud)

    def members(group_id: str, version: int):
        return [m for m in security.members(group_id, version) if member_key(m) in keys]
    flows = []
    # the networks with such a port here: found through the referring groups' members
    nets = {p.network_id for g in cloud.referring(groups) for p in cloud.members(g)
            if p.node == node and p.filtered and p.device in state.int_ports} - set(skip)
    for net in sorted(nets):
        filtered = [p for p in cloud.ports_of(net) if p.node == node and p.filtered
                    and p.device in state.int_ports]
        flows += firewall.network_flows(state.vlans[net], filtered, security, members)
    return index(merge(flows))


def member_key(member: tuple) -> tuple:
    """What a member flow matches of a member (address network, pair MAC): the address, or
    for a /0 pair its MAC (fw_rules.remote_fields)."""
    network, mac = member
    return (network, None) if network.prefixlen else (None, mac)


def _port_keys(*ports: Port | None) -> set[tuple]:
    """The member keys of ports (their fixed IPs and allowed pairs)."""
    keys = set()
    for port in ports:
        if port is None:
            continue
        keys |= {member_key((ipaddress.ip_network(ip), None)) for ip in port.ips}
        keys |= {member_key((pair.ip, pair.mac)) for pair in port.allowed_address_pairs}
    return keys


def node_changes(change: Change, node: str, state: NodeState) -> dict[str, Changes]:
    """bridge -> the flow changes of one node (as the change's plan says), empty ones left
    out. `state`: the node's VLANs and port numbers before the change."""
    work, old, new, port_id = change.nodes[node], change.old, change.new, change.port_id
    new_state = state
    if work.kind == REMOTE_KIND:
        before = {BR_TUN: _remote_flows(old, node, state, port_id)}
        after = {BR_TUN: _remote_flows(new, node, state, port_id)}
    elif work.kind == MEMBERS_KIND:
        before, after = {}, {}
    else:
        scopes = None if work.kind == WHOLE_KIND else work.networks
        if work.kind == WHOLE_KIND:
            new_state = dataclasses.replace(state, vlans=localvlan.allocate(
                state.vlans, [n.id for n in new.networks_on(node)]))
        before = _flows(old, node, state, scopes, port_id)
        after = _flows(new, node, new_state, scopes, port_id)
    if work.members:
        keys = _port_keys(_find(old, port_id), _find(new, port_id))
        before.setdefault(BR_INT, {}).update(_member_flows(old, node, state, work.networks,
                                                           work.members, keys))
        after.setdefault(BR_INT, {}).update(_member_flows(new, node, new_state,
                                                          work.networks, work.members, keys))
    out = {}
    for bridge, flows in after.items():
        changes = diff(before.get(bridge, {}), flows)
        if changes:
            out[bridge] = changes
    return out


def port_changes(old: Cloud, new: Cloud, port_id: str,
                 state: Callable[[str], NodeState]) -> dict[tuple[str, str], Changes]:
    """(node, bridge) -> the flow changes one port's change causes; bridges without any are
    left out. `state(node)` gives the node's VLANs and port numbers (as before the change)."""
    change = Change(f"port {port_id}", old, new, plan(old, new, port_id), port_id)
    return {(node, bridge): changes for node in change.nodes
            for bridge, changes in node_changes(change, node, state(node)).items()}
