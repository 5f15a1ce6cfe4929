"""What one port's change does to every bridge of the cloud, without recomputing nodes.

A port created, updated or deleted touches only the nodes that host its network (before or
after), and on each of them only flows of that network: its own flows (br-int's on its node,
br-tun's unicast and ARP/ND answers elsewhere) and the network's flows (flood lists, DHCP
server, local flood). The diff of those scoped flows (flows.view.build_view with scope and
port) between the old and the new cloud is exactly the full diff when the network's set of
hosting nodes stays the same. On a node that is neither the port's old nor its new home, with
no DHCP server involved and the port staying in its network, only the port's own br-tun flows
can change: those are computed alone (constant work per node, not proportional to the
network's size). When the set of
hosting nodes changes (the network arrives on a node or leaves it), tunnels and local VLANs
change too and the hosting nodes are recomputed whole.
tests/unit/test_incremental.py checks the equality against full recomputation.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from collections.abc import Callable, Mapping

from cloud.model import OWNER_DHCP, Cloud, Port
from cloud.naming import BR_TUN
from flows import br_tun, localvlan
from flows.desired import bridge_flows, bridges_of, index
from flows.diff import Changes, diff
from flows.tunnels import tunnel_spec
from flows.view import RemotePort, Tunnel, build_view


@dataclass(frozen=True)
class NodeState:
    """What the controller knows of a node's switches: local VLANs, port numbers."""
    vlans: Mapping[str, int]
    int_ports: Mapping[str, int] = field(default_factory=dict)
    tun_ports: Mapping[str, int] = field(default_factory=dict)


def _find(cloud: Cloud, port_id: str) -> Port | None:
    try:
        return cloud.port(port_id)
    except KeyError:
        return None


def _flows(cloud: Cloud, node: str, vlans, state: NodeState, scopes, port: str | None):
    """bridge -> the node's flows: all of them (scopes None), or those of the scopes."""
    out: dict[str, dict] = {}
    for scope in scopes or (None,):
        view = build_view(cloud, node, vlans, state.int_ports, state.tun_ports, scope,
                          port if scope else None)
        for bridge in bridges_of(cloud.node(node)):
            out.setdefault(bridge, {}).update(bridge_flows(view, bridge))
    return out


def _remote_flows(cloud: Cloud, node: str, state: NodeState, port_id: str) -> dict:
    """br-tun's flows for one port of another node (nothing if it is not in this cloud)."""
    port = _find(cloud, port_id)
    if port is None:
        return {}
    net = cloud.network(port.network_id)
    spec = tunnel_spec(net.type, cloud.node(node), cloud.node(port.node))
    ofport = state.tun_ports.get(spec.name)
    if ofport is None or not cloud.l2_population:
        return {}
    remote = RemotePort(port, state.vlans[net.id], Tunnel(spec, ofport))
    return index(br_tun.remote_port_flows(remote, net.segmentation_id))


WHOLE = "whole"      # the node is recomputed entirely (tunnels and local VLANs may change)
REMOTE = "remote"    # only the port's own br-tun flows on this node can change


def plan(old: Cloud, new: Cloud, port_id: str) -> dict[str, str | tuple[str, ...]]:
    """node -> how its flows follow one port's change: WHOLE, REMOTE, or the networks whose
    scoped flows are recomputed. Nodes the change does not concern are absent."""
    ports = [p for p in (_find(old, port_id), _find(new, port_id)) if p is not None]
    how: dict[str, str | tuple[str, ...]] = {}
    for network_id in dict.fromkeys(p.network_id for p in ports):
        old_hosts, new_hosts = old.hosts_of(network_id), new.hosts_of(network_id)
        for node in dict.fromkeys(old_hosts + new_hosts):
            if old_hosts != new_hosts:
                how[node] = WHOLE
            elif how.get(node) != WHOLE:
                how[node] = how.get(node, ()) + (network_id,)
    if all(p.device_owner != OWNER_DHCP for p in ports) and \
            len({p.network_id for p in ports}) == 1:
        homes = {p.node for p in ports}
        for node, networks in how.items():
            if networks != WHOLE and node not in homes:
                how[node] = REMOTE
    return how


def node_changes(old: Cloud, new: Cloud, port_id: str, node: str, how,
                 state: NodeState) -> dict[str, Changes]:
    """bridge -> the flow changes of one node (as `plan` says), empty ones left out."""
    if how == REMOTE:
        changes = diff(_remote_flows(old, node, state, port_id),
                       _remote_flows(new, node, state, port_id))
        return {BR_TUN: changes} if changes else {}
    scopes = None if how == WHOLE else how
    new_vlans = localvlan.allocate(state.vlans, [n.id for n in new.networks_on(node)]) \
        if how == WHOLE else state.vlans
    before = _flows(old, node, state.vlans, state, scopes, port_id)
    after = _flows(new, node, new_vlans, state, scopes, port_id)
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
    return {(node, bridge): changes
            for node, how in plan(old, new, port_id).items()
            for bridge, changes in node_changes(old, new, port_id, node, how,
                                                state(node)).items()}


# What no flow depends on: where the cloud was read from, ports without a node.
NOT_IN_FLOWS = ("source", "unbound")


def flows_may_change(old: Cloud, new: Cloud) -> bool:
    """Whether two clouds may differ in any flow (they differ beyond NOT_IN_FLOWS)."""
    return any(getattr(old, f.name) != getattr(new, f.name) for f in dataclasses.fields(Cloud)
               if f.name not in NOT_IN_FLOWS)


def single_port_change(old: Cloud, new: Cloud) -> str | None:
    """The id of the one bound port that differs between two clouds alike in everything
    else that flows depend on (a port created, updated, bound, unbound or deleted through
    the API), else None."""
    if any(getattr(old, f.name) != getattr(new, f.name) for f in dataclasses.fields(Cloud)
           if f.name not in ("ports",) + NOT_IN_FLOWS):
        return None
    differ = set(old.ports).symmetric_difference(new.ports)
    ids = {p.id for p in differ}
    return next(iter(ids)) if len(ids) == 1 else None
