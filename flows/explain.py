"""What each flow of a node exists for, and why a packet went no further, in Neutron's terms.

`owners(view)` computes the node's flows again object by object, with the same family
functions the pipeline uses (br_int.py, br_tun.py, br_phys.py, firewall.py, fw_rules.py), and
says which cloud object each flow is there for: a port of this node, a port of another node
(L2 population), a network, a tunnel, a bridge mapping, a security group rule, or the pipeline
itself. `reason(...)` turns where a copy of a packet ended (flows/sim_types.End) into the words
a Neutron engineer would use.
"""
from __future__ import annotations

import dataclasses

from cloud.naming import BR_EX, BR_INT, BR_TUN
from flows import br_ex, br_int, br_phys, br_tun, firewall, fw_rules
from flows import tables as t
from flows.desired import bridges_of
from flows.view import NodeView

PIPELINE = "the pipeline (every node has it)"


def _label(port, routers: dict) -> str:
    if port.is_router_interface:
        return (f"port {port.name or port.id} ({port.device}), interface of router "
                f"{routers.get(port.router_id, port.router_id)}")
    return f"port {port.name or port.id} ({port.device}, {port.device_owner or 'no owner'})"


def _rule(group, rule, groups) -> str:
    what = rule.protocol or "any protocol"
    if rule.port_range_min is not None:
        what += f" {rule.port_range_min}" + (f"-{rule.port_range_max}" if
                                              rule.port_range_max != rule.port_range_min else "")
    other = groups.get(rule.remote_group_id)
    remote = (f"from members of group {other.name if other else rule.remote_group_id}"
              if rule.remote_group_id else
              f"remote {rule.remote_ip_prefix}" if rule.remote_ip_prefix else "any remote")
    return (f"security group rule {rule.id} of group {group.name or group.id}: "
            f"{rule.direction} {rule.ethertype} {what}, {remote}")


def owners(view: NodeView, routers: dict | None = None) -> dict[tuple[str, tuple], list[str]]:
    """(bridge, flow key) -> what the flow is for (several objects may ask for one flow);
    routers: router id -> name, for the routers' interfaces."""
    routers = routers or {}
    out: dict[tuple[str, tuple], list[str]] = {}

    def add(bridge: str, flows, what: str) -> None:
        for flow in flows:
            owners_of = out.setdefault((bridge, flow.key), [])
            if what not in owners_of:
                owners_of.append(what)

    add(BR_INT, br_int.misses() + firewall.base() + [br_int.dad_goes_on()], PIPELINE)
    add(BR_TUN, br_tun.misses() + br_tun.split() + [br_tun.arp_to_responder(),
                                                    br_tun.ns_to_responder(),
                                                    br_tun.dad_flooded()], PIPELINE)
    if view.patch_int is not None:
        add(BR_TUN, [br_tun.from_patch_int(view.patch_int), br_tun.to_patch_int(view.patch_int),
                     br_tun.learn_from_tun(view.patch_int)], PIPELINE)
    for tunnel in view.tunnels:
        add(BR_TUN, [br_tun.from_tunnel(tunnel.ofport, tunnel.spec.type)],
            f"tunnel {tunnel.spec.name} ({tunnel.spec.type.upper()}) to "
            f"{tunnel.spec.remote_node}")
    for phys in view.physical:
        what = (f"bridge mapping {phys.mapping.physnet}:{phys.mapping.bridge} "
                f"(NIC {phys.mapping.nic})")
        if phys.int_ofport is not None:
            add(BR_INT, [br_int.phys_drop(phys.int_ofport)], what)
        add(phys.mapping.bridge, [br_phys.normal()], what)
        if phys.phy_ofport is not None:
            add(phys.mapping.bridge, [br_phys.drop_from_int(phys.phy_ofport)], what)
    for local in view.ports:
        rule_keys = set()
        for group in view.security.groups_of(local.port) if local.port.filtered else ():
            for rule in group.rules:
                one = dataclasses.replace(group, rules=(rule,))
                flows = fw_rules.port_rule_flows(local.ofport, [one], view.security.blocks)
                add(BR_INT, flows, _rule(group, rule, view.security.groups))
                rule_keys |= {f.key for f in flows}
        add(BR_INT, [f for f in br_int.local_port_flows(view, local)
                     if f.key not in rule_keys], _label(local.port, routers))
    for net in view.networks:
        what = (f"network {net.network.name or net.network.id} ({net.network.type}"
                f"{'' if net.network.segmentation_id is None else ' '}"
                f"{net.network.segmentation_id or ''}, local VLAN {net.vlan})")
        members = sorted(p.ofport for p in view.ports_in(net.vlan))
        add(BR_INT, br_int.network_flows(view, net, members), what)
        for phys in view.physical:
            if phys.phy_ofport is not None and \
                    net.network.physical_network == phys.mapping.physnet:
                add(phys.mapping.bridge, [br_phys.lv_to_provider(phys.phy_ofport, net.vlan,
                                                                 net.network)], what)
    remotes = {n.network.id: [] for n in view.tunnelled}
    for remote in view.remote_ports:
        remotes[remote.port.network_id].append(remote)
    for net in view.tunnelled:
        add(BR_TUN, br_tun.network_flows(view, net, remotes[net.network.id]),
            f"network {net.network.name or net.network.id} ({net.network.type} "
            f"{net.network.segmentation_id}, local VLAN {net.vlan})")
        for remote in remotes[net.network.id]:
            add(BR_TUN, br_tun.remote_port_flows(remote, net.network.segmentation_id),
                f"{_label(remote.port, routers)} on {remote.port.node} (L2 population)")
    if BR_EX in bridges_of(view.node):
        add(BR_EX, br_ex.flows(view), "the external network's segment (br-ex)")
    return out



# ------------------------------------------------------------------------------- reasons
MISS = t.PRIORITY_MISS
REASONS = {
    # (bridge family, table, priority of the flow that dropped it, or sent it to
    # DROPPED_TRAFFIC): Neutron's words
    (BR_INT, t.INT_LOCAL_SWITCHING, MISS): "dropped: a VM port sends untagged frames only (a "
    "tagged frame from a VM, or a VLAN this node does not use from patch-tun)",
    (BR_INT, t.INT_LOCAL_SWITCHING, t.PRIORITY_PHYS_DROP): "dropped: a provider VLAN no "
    "network of this node has, from the physical bridge",
    (BR_INT, t.ARP_SPOOF, t.PRIORITY_ARP_SPOOFED): "dropped by ARP spoofing protection: the "
    "sender IP or MAC is not the port's (port security)",
    (BR_INT, t.MAC_SPOOF, MISS): "dropped: spoofed source MAC, not the port's (port security)",
    (BR_INT, t.BASE_EGRESS, MISS): "dropped: spoofed source IP, neither the port's fixed IP "
    "nor an allowed address pair (port security)",
    (BR_INT, t.BASE_EGRESS, t.PRIORITY_FW_SERVER): "dropped: a VM may not act as a DHCP "
    "server or send router advertisements (port security)",
    (BR_INT, t.RULES_EGRESS, t.PRIORITY_FW_NO_RULE): "dropped: no security group rule of the "
    "port allows it (egress)",
    (BR_INT, t.RULES_INGRESS, t.PRIORITY_FW_NO_RULE): "dropped: no security group rule of the "
    "port allows it (ingress)",
    (BR_INT, t.RULES_EGRESS, t.PRIORITY_FW_STATE): "dropped: an invalid connection state, or "
    "a connection cut when its rule was removed",
    (BR_INT, t.RULES_INGRESS, t.PRIORITY_FW_STATE): "dropped: an invalid connection state, or "
    "a connection cut when its rule was removed",
    (BR_INT, t.ACCEPTED_EGRESS_TRAFFIC_NORMAL, MISS): "dropped: a VLAN this node does not use",
    (BR_TUN, t.TUN_LOCAL_SWITCHING, MISS): "dropped: from a port br-tun does not know",
    (BR_TUN, t.GRE_TUN_TO_LV, MISS): "dropped: unknown GRE key, no network of this node has "
    "it (a forged or foreign tunnel)",
    (BR_TUN, t.VXLAN_TUN_TO_LV, MISS): "dropped: unknown VNI, no network of this node has it "
    "(a forged or foreign tunnel)",
    (BR_TUN, t.FLOOD_TO_TUN, MISS): "dropped: no other node hosts the network (no flood list)",
    ("phys", t.PHYS_LOCAL_SWITCHING, t.PRIORITY_PHYS_DROP): "dropped: a local VLAN that is not "
    "of this physical network",
}


def reason(family: str, table: int, priority: int | None, kind: str) -> str:
    """Why a copy of the packet ended where it did (family: BR_INT, BR_TUN, "phys", BR_EX;
    for a drop in DROPPED_TRAFFIC, the table and priority of the flow that sent it there)."""
    if kind == "in_port":
        return "not sent back out of the port it came in on (the destination is not here)"
    text = REASONS.get((family, table, MISS if priority is None else priority))
    return text or f"dropped (table {table}, priority {priority})"
