"""Security group rules as flows of RULES_EGRESS (72) and RULES_INGRESS (82), as Neutron's
openvswitch firewall writes them (neutron/agent/linux/openvswitch_firewall/rules.py).

A rule becomes a pair of flows, one for `+est-rel-rpl` (a packet of an established connection
in its original direction, re-checked on every packet) and one for `+new-est` (the first),
with the rule's ethertype, protocol, destination ports (cut into value/mask pairs), ICMP type
and code, and its remote prefix (the destination on egress, the source on ingress). Its
priority is 70 + an offset: 4 for a plain rule, 0 for one with a remote group; +0 without a
protocol, +1 ICMP without type, +2 ICMP with a type and no code, +3 anything else.

A rule with a remote group is a conjunctive match of two clauses, so that flows grow with
ports plus rules, not with their product: clause 1, per network of this node, matches each
member address of the remote group (one flow per address, listing every conjunction that
needs it); clause 2, per port, matches the rule's protocol and ports; a third flow per port
matches the conjunction's id and accepts. Conjunction ids come in blocks of 8 per (group,
remote group, direction, ethertype), placed by a hash of the key (stable while other keys
come and go): id = block + 2 * offset + (1 for +new-est).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache

from cloud.security import EGRESS, ICMP, ICMPV6, INGRESS, SCTP, TCP, UDP, Rule, SecurityGroup
from flows import tables as t
from flows.flow import (ETH_TYPE_IP, ETH_TYPE_IPV6, Conjunction, Ct, Flow, Output, SetField,
                        ct_state, match, prefix)
from flows.pipeline import INT

EST = ct_state("+est-rel-rpl")
NEW = ct_state("+new-est")
STATES = (EST, NEW)
ETH_TYPE = {4: ETH_TYPE_IP, 6: ETH_TYPE_IPV6}
PORT_FIELD = {TCP: "tcp_dst", UDP: "udp_dst", SCTP: "sctp_dst"}
TABLE = {EGRESS: t.RULES_EGRESS, INGRESS: t.RULES_INGRESS}
PLAIN_BASE, CONJ_BASE = 4, 0
BLOCK = 8
BLOCKS = 1 << 24          # places for blocks: conjunction ids stay below 2^27


def port_masks(low: int, high: int) -> list[int | tuple[int, int]]:
    """The fewest value/mask pairs covering exactly the ports low..high (an exact port as a
    plain value), as Neutron's port_rule_masking does."""
    out: list[int | tuple[int, int]] = []
    while low <= high:
        size = low & -low or 1 << 16
        while low + size - 1 > high:
            size >>= 1
        out.append(low if size == 1 else (low, 0xFFFF & ~(size - 1)))
        low += size
    return out


def offset(rule: Rule) -> int:
    number = rule.number
    if number is None:
        return 0
    if number in (ICMP, ICMPV6):
        if rule.port_range_min is None:
            return 1
        if rule.port_range_max is None:
            return 2
    return 3


def rule_fields(rule: Rule) -> list[dict]:
    """The rule's match without port, state and remote end: one per port mask."""
    base: dict = {"eth_type": ETH_TYPE[rule.version]}
    number = rule.number
    if number is None:
        return [base]
    base["ip_proto"] = number
    if number in (ICMP, ICMPV6):
        kind = "icmpv4" if number == ICMP else "icmpv6"
        if rule.port_range_min is not None:
            base[f"{kind}_type"] = rule.port_range_min
        if rule.port_range_max is not None:
            base[f"{kind}_code"] = rule.port_range_max
        return [base]
    if rule.port_range_min is None:
        return [base]
    field = PORT_FIELD[number]
    return [base | {field: m} for m in port_masks(rule.port_range_min, rule.port_range_max)]


def remote_fields(direction: str, network, mac: str | None = None) -> dict:
    """The other end of a connection: its address on the far side (destination on egress,
    source on ingress); a /0 matches no address but, given, the pair's MAC (Neutron's fix
    for an allowed pair 0.0.0.0/0 opening everything)."""
    side = "dst" if direction == EGRESS else "src"
    if network.prefixlen == 0:
        return {f"eth_{side}": mac} if mac else {}
    return {f"ipv{network.version}_{side}": prefix(network)}


@lru_cache(maxsize=16)
def conjunction_blocks(groups: tuple[SecurityGroup, ...]) -> dict[tuple, int]:
    """(group, remote group, direction, ethertype) -> its block of 8 conjunction ids: at a
    place a hash of the key gives (the next free one, in the keys' order, if taken), so a
    key keeps its ids while others come and go, and a rule change reaches only the nodes
    with ports in its group."""
    keys = sorted({(g.id, r.remote_group_id, r.direction, r.ethertype)
                   for g in groups for r in g.rules if r.remote_group_id})
    taken: set[int] = set()
    out = {}
    for key in keys:
        digest = hashlib.blake2b("/".join(key).encode(), digest_size=8).digest()
        place = int.from_bytes(digest, "big") % BLOCKS
        while place in taken:
            place = (place + 1) % BLOCKS
        taken.add(place)
        out[key] = BLOCK * (place + 1)
    return out


def conj_id(blocks: dict, group: SecurityGroup, rule: Rule, state) -> int:
    block = blocks[(group.id, rule.remote_group_id, rule.direction, rule.ethertype)]
    return block + 2 * offset(rule) + (1 if state == NEW else 0)


# ------------------------------------------------------------------------------ accepting
def accept(direction: str, state, ofport: int, conj: int | None = None) -> dict:
    """What an allowing flow does: egress -> ACCEPT_OR_INGRESS; ingress: delivered, the
    first packet committed. A remote-group rule's id is kept in reg7 (Neutron's)."""
    actions: tuple = (SetField(t.REG_REMOTE_GROUP, conj),) if conj is not None else ()
    if direction == EGRESS:
        return {"actions": actions, "goto": t.ACCEPT_OR_INGRESS}
    if state == NEW:
        actions += (Ct(zone_reg=t.REG_NET, commit=True),)
    return {"actions": actions + (Output(ofport),)}


def _flow(direction: str, priority: int, fields: dict, **how) -> Flow:
    return INT[TABLE[direction]].flow(priority, match(**fields), **how)


def port_rule_flows(ofport: int, groups: Iterable[SecurityGroup], blocks: dict) -> list[Flow]:
    """One port's rule flows in both directions (clause 2 and the accepting flows of its
    remote-group rules); flows several rules make alike are merged by merge()."""
    out = []
    for group in groups:
        for rule in group.rules:
            off = offset(rule)
            for fields in rule_fields(rule):
                for state in STATES:
                    own = fields | {t.REG_PORT: ofport, "ct_state": state}
                    if rule.remote_group_id is None:
                        if rule.remote_ip_prefix is not None:
                            own |= remote_fields(rule.direction, rule.remote_ip_prefix)
                        out.append(_flow(rule.direction, t.PRIORITY_FW_RULE + PLAIN_BASE + off,
                                         own, **accept(rule.direction, state, ofport)))
                        continue
                    conj = conj_id(blocks, group, rule, state)
                    priority = t.PRIORITY_FW_RULE + CONJ_BASE + off
                    out.append(_flow(rule.direction, priority, own,
                                     actions=(Conjunction(conj, 2, 2),)))
                    out.append(_flow(rule.direction, priority,
                                     {"conj_id": conj, t.REG_PORT: ofport,
                                      "eth_type": fields["eth_type"]},
                                     **accept(rule.direction, state, ofport, conj)))
    return out


def member_flows(lvid: int, groups: Iterable[SecurityGroup], blocks: dict,
                 members) -> list[Flow]:
    """Clause 1 of the remote-group rules of the groups of one network's filtered ports on
    this node: every member address of each remote group. `members(group id, version)` gives
    (address network, MAC) pairs."""
    out = []
    for group in groups:
        for rule in group.rules:
            if rule.remote_group_id is None:
                continue
            priority = t.PRIORITY_FW_RULE + CONJ_BASE + offset(rule)
            for network, mac in members(rule.remote_group_id, rule.version):
                for state in STATES:
                    fields = {"eth_type": ETH_TYPE[rule.version], t.REG_NET: lvid,
                              "ct_state": state} | remote_fields(rule.direction, network, mac)
                    out.append(_flow(rule.direction, priority, fields, actions=(
                        Conjunction(conj_id(blocks, group, rule, state), 1, 2),)))
    return out


def merge(flows: list[Flow]) -> list[Flow]:
    """Flows for one entry made one: conjunctive ones list every conjunction (sorted);
    others must be alike."""
    by_key: dict[tuple, Flow] = {}
    for flow in flows:
        other = by_key.get(flow.key)
        if other is None or other == flow:
            by_key[flow.key] = flow
            continue
        conj = sorted(set(other.actions) | set(flow.actions), key=lambda a: (a.id, a.clause))
        if not all(isinstance(a, Conjunction) for a in conj):
            raise ValueError(f"two flows for one entry: {other} and {flow}")
        by_key[flow.key] = Flow(flow.table, flow.priority, flow.match, tuple(conj),
                                cookie=flow.cookie)
    return list(by_key.values())
