"""The cloud file's security groups, and the security attributes of its ports.

    security_groups: [{id, name, stateful, description, project_id, tags,
                       rules: [{id, direction, ethertype, protocol, port_range_min,
                                port_range_max, remote_ip_prefix, remote_group, description}]}]
    ports:           [{..., security_groups: [NAME or ID, ...], port_security_enabled,
                       allowed_address_pairs: [{ip_address, mac_address}]}]

Checked as Neutron checks them: a rule's protocol is a name Neutron knows or a number
0..255; port ranges only for protocols with ports, min <= max; an ICMP rule's type and code
0..255 and no code without a type; remote_ip_prefix or remote_group, not both, of the rule's
ethertype; no rule twice in a group; one `default` group per project. Every project with a
network or a port has its default group: the file's, or Neutron's (all egress; ingress from
the group's own members), with ids derived from the project. A VM's port names its groups or
gets its project's default; with port_security_enabled false it has neither groups nor
address pairs. Neutron's own ports (DHCP, router interfaces) are never filtered and name no
group.
"""
from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from cloud import values as v
from cloud.checks import Faults, Spec, entries, first_seen
from cloud.meta import DEFAULT_PROJECT
from cloud.schema_net import META, meta
from cloud.security import (DEFAULT_GROUP, DIRECTIONS, EGRESS, ETHERTYPES, ICMP, ICMPV6, INGRESS,
                            IPV4, IPV6, IPV6_ONLY, PORTS_MATCHED, PROTOCOLS, WITH_PORTS,
                            AddressPair, Rule, SecurityGroup, protocol_number)

GROUP: Spec = {
    "id": (False, v.uuid_text),                 # default: derived from project and name
    "name": (True, v.free_text),
    "stateful": (False, v.boolean),
    "rules": (False, v.sequence),               # see RULE
    **META,
}
RULE: Spec = {
    "id": (False, v.uuid_text),                 # default: derived from the group and the rule
    "direction": (True, v.choice(*DIRECTIONS)),
    "ethertype": (False, v.choice(*ETHERTYPES)),
    "protocol": (False, v.optional(v.text)),    # a name (tcp) or a number; none/any: any
    "port_range_min": (False, v.optional(v.integer)),
    "port_range_max": (False, v.optional(v.integer)),
    "remote_ip_prefix": (False, v.optional(v.text)),
    "remote_group": (False, v.optional(v.text)),  # name or id (Neutron's remote_group_id)
    "description": (False, v.free_text),
}
PAIR: Spec = {
    "ip_address": (True, v.text),               # an address or a CIDR
    "mac_address": (False, v.mac),              # default: the port's
}
MAX_PAIRS = 10                                  # Neutron's max_allowed_address_pair
NAMESPACE = uuid.UUID("7c3e1a52-4f0b-4d6e-9a8c-6f7665726c61")


def default_group_id(project: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"default {project}"))


def derived_rule_id(group_id: str, rule: Rule) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{group_id} {_content(rule)}"))


def rule_key(rule: dict) -> tuple:
    """What makes two rules of a group the same rule (Neutron: 'already exists'), from a
    rule as the document writes it (its remote group by id): the protocol by its number,
    one given port for both ends, a prefix as its network, any address (a /0) as none
    given. A rule the schema refuses still gets a key, of its values as given."""
    ethertype = rule.get("ethertype", IPV4)
    protocol = rule.get("protocol")
    protocol = None if protocol in (None, "any") else str(protocol).lower()
    try:
        number = protocol_number(protocol, ethertype) if protocol is None or \
            protocol in PROTOCOLS or protocol.isdigit() else protocol
    except ValueError:
        number = protocol
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if number not in (1, 58) and (low is None) != (high is None):
        low = high = high if low is None else low
    prefix = rule.get("remote_ip_prefix")
    try:
        prefix = str(ipaddress.ip_network(prefix, strict=False)) if prefix else None
    except ValueError:
        pass
    if prefix in ("0.0.0.0/0", "::/0"):
        prefix = None   # any address: what no prefix means
    return (rule["direction"], ethertype, number, low, high, prefix, rule.get("remote_group"))


def _content(rule: Rule) -> tuple:
    return rule_key({"direction": rule.direction, "ethertype": rule.ethertype,
                     "protocol": rule.protocol, "port_range_min": rule.port_range_min,
                     "port_range_max": rule.port_range_max,
                     "remote_ip_prefix": rule.remote_ip_prefix,
                     "remote_group": rule.remote_group_id})


def default_rules(group_id: str) -> tuple[Rule, ...]:
    """Neutron's default group: all egress; ingress only from the group's own members."""
    rules = [Rule("", EGRESS, IPV4), Rule("", EGRESS, IPV6),
             Rule("", INGRESS, IPV4, remote_group_id=group_id),
             Rule("", INGRESS, IPV6, remote_group_id=group_id)]
    return tuple(Rule(derived_rule_id(group_id, r), r.direction, r.ethertype,
                      remote_group_id=r.remote_group_id) for r in rules)


DEFAULT_DESCRIPTION = "Default security group"


def default_group_entry(project: str) -> dict:
    """A project's default group as the document writes it (Neutron makes it on the
    project's first use)."""
    gid = default_group_id(project)
    entry = {"id": gid, "name": DEFAULT_GROUP, "description": DEFAULT_DESCRIPTION,
             "rules": [{"id": r.id, "direction": r.direction, "ethertype": r.ethertype,
                        **({"remote_group": gid} if r.remote_group_id else {})}
                       for r in default_rules(gid)]}
    if project != DEFAULT_PROJECT:
        entry["project_id"] = project
    return entry


# --------------------------------------------------------------------------------- groups
class Groups:
    """The cloud's groups as ports and rules refer to them: by id, or by name (a name the
    referring entry's project has once, else one name in the whole cloud)."""

    def __init__(self, groups: list[SecurityGroup], raw_ids: set[str]):
        self.groups = groups
        self.raw_ids = raw_ids   # ids of entries in the file, valid or not

    def resolve(self, ref: Any, project: str, label: str, faults: Faults
                ) -> SecurityGroup | None:
        if not isinstance(ref, str):
            faults.add(label, f"security group reference {ref!r} is not a string")
            return None
        for group in self.groups:
            if group.id == ref.lower():
                return group
        if ref.lower() in self.raw_ids:
            return None  # faulty itself: already reported
        named = [g for g in self.groups if g.name == ref]
        own = [g for g in named if g.meta.project_id == project]
        found = own if len(own) == 1 else named
        if not found:
            faults.add(label, f"unknown security group {ref!r}")
            return None
        if len(found) > 1:
            faults.add(label, f"security group name {ref!r} is ambiguous ({len(found)} "
                       "security groups have it): use the id")
            return None
        return found[0]


def security_groups_of(raw_list: list, projects: set[str], faults: Faults) -> Groups:
    """Every group of the file, then a default group for each project in use without one."""
    parsed: list[tuple[str, SecurityGroup, list]] = []
    ids: dict[str, str] = {}
    defaults: dict[str, str] = {}
    raw_ids = {str(e["id"]).lower() for e in raw_list
               if isinstance(e, dict) and isinstance(e.get("id"), str)}
    for label, f in entries("security_groups", raw_list, GROUP, faults):
        m = meta(f)
        is_default = f["name"] == DEFAULT_GROUP
        gid = f.get("id") or (default_group_id(m.project_id) if is_default else
                              str(uuid.uuid5(NAMESPACE, f"{m.project_id} {f['name']}")))
        ok = first_seen(ids, gid, label, f"security group id {gid}", faults)
        if is_default:
            ok &= first_seen(defaults, m.project_id, label,
                             f"default security group of project {m.project_id}", faults)
        if ok:
            group = SecurityGroup(id=gid, name=f["name"], stateful=f.get("stateful", True),
                                  meta=m)
            parsed.append((label, group, f.get("rules", [])))
    groups = Groups([g for _, g, _ in parsed], raw_ids)
    out = []
    for label, group, raw_rules in parsed:
        rules = _rules(label, group, raw_rules, groups, faults)
        out.append(SecurityGroup(group.id, group.name, tuple(rules), group.stateful, group.meta))
    for project in sorted(projects - set(defaults)):
        gid = default_group_id(project)
        out.append(SecurityGroup(gid, DEFAULT_GROUP, default_rules(gid),
                                 meta=meta({"project_id": project,
                                            "description": DEFAULT_DESCRIPTION})))
    return Groups(out, raw_ids)


def _rules(group_label: str, group: SecurityGroup, raw_list: list, groups: Groups,
           faults: Faults) -> list[Rule]:
    rules, seen, ids = [], {}, {}
    for label, f in entries(f"{group_label} rules", raw_list, RULE, faults):
        rule = _rule(label, f, group, groups, faults)
        if rule is None:
            continue
        rid = f.get("id") or derived_rule_id(group.id, rule)
        if first_seen(seen, _content(rule), label, "rule", faults) and \
                first_seen(ids, rid, label, f"rule id {rid}", faults):
            rules.append(Rule(rid, rule.direction, rule.ethertype, rule.protocol,
                              rule.port_range_min, rule.port_range_max, rule.remote_ip_prefix,
                              rule.remote_group_id, rule.meta))
    return rules


def _protocol(label: str, value: str | None, ethertype: str, faults: Faults
              ) -> tuple[bool, str | None]:
    if value is None or value.lower() == "any":
        return True, None
    text = value.lower()
    if text in PROTOCOLS:
        if ethertype == IPV4 and text in IPV6_ONLY:
            faults.add(label, f"protocol {value} is only for ethertype {IPV6}")
            return False, None
        return True, text
    if text.isdigit() and 0 <= int(text) <= 255:
        return True, str(int(text))
    faults.add(label, f"protocol {value!r} is not supported: one of "
               f"{', '.join(sorted(PROTOCOLS))}, or a number 0..255")
    return False, None


def _rule(label: str, f: dict, group: SecurityGroup, groups: Groups, faults: Faults
          ) -> Rule | None:
    ethertype = f.get("ethertype", IPV4)
    ok, protocol = _protocol(label, f.get("protocol"), ethertype, faults)
    low, high = f.get("port_range_min"), f.get("port_range_max")
    number = protocol_number(protocol, ethertype) if ok else None
    if ok:
        ok = _check_ranges(label, protocol, number, low, high, faults)
    prefix = None
    if f.get("remote_ip_prefix") is not None:
        try:
            prefix = ipaddress.ip_network(f["remote_ip_prefix"], strict=False)
        except ValueError:
            faults.add(label, f"remote_ip_prefix {f['remote_ip_prefix']!r} is not a CIDR")
            ok = False
        else:
            if (prefix.version == 4) != (ethertype == IPV4):
                faults.add(label, f"remote_ip_prefix {prefix} is not of ethertype {ethertype}")
                ok = False
    remote = None
    if f.get("remote_group") is not None:
        if prefix is not None:
            faults.add(label, "only one of remote_ip_prefix and remote_group may be given")
            ok = False
        remote = groups.resolve(f["remote_group"], group.meta.project_id, label, faults)
        ok &= remote is not None
    if not ok:
        return None
    if number not in (ICMP, ICMPV6) and (low is None) != (high is None):
        low = high = high if low is None else low   # one port: both ends, as Neutron keeps
    return Rule("", f["direction"], ethertype, protocol, low, high, prefix,
                remote.id if remote else None,
                meta(dict(description=f.get("description", ""),
                          project_id=group.meta.project_id)))


def _check_ranges(label: str, protocol: str | None, number: int | None, low, high,
                  faults: Faults) -> bool:
    if low is None and high is None:
        return True
    if number in (ICMP, ICMPV6):
        if low is None:
            faults.add(label, f"ICMP code (port_range_max) {high} is given but ICMP type "
                       "(port_range_min) is missing")
            return False
        for what, value in (("type (port_range_min)", low), ("code (port_range_max)", high)):
            if value is not None and not 0 <= value <= 255:
                faults.add(label, f"ICMP {what} {value} is out of range (0..255)")
                return False
        return True
    if number is None:
        faults.add(label, "a port range needs a protocol")
        return False
    if number not in WITH_PORTS:
        faults.add(label, f"protocol {protocol} has no ports: a port range is only for tcp, "
                   "udp, sctp, dccp and udplite")
        return False
    if number not in PORTS_MATCHED:
        faults.add(label, f"port ranges of protocol {protocol} are not emulated by this cloud "
                   "(Open vSwitch matches the ports of tcp, udp and sctp only)")
        return False
    low = high if low is None else low
    high = low if high is None else high
    for value in (low, high):
        if not 1 <= value <= 65535:
            faults.add(label, f"port {value} is out of range (1..65535)")
            return False
    if low > high:
        faults.add(label, f"port_range_min {low} is greater than port_range_max {high}")
        return False
    return True


# ---------------------------------------------------------------------------------- ports
def port_security(label: str, f: dict, mac: str, is_vm: bool, groups: Groups,
                  faults: Faults) -> tuple[tuple[str, ...], bool, tuple[AddressPair, ...]] | None:
    """(group ids, port_security_enabled, allowed address pairs) of a port entry."""
    project = f.get("project_id", DEFAULT_PROJECT)
    enabled = f.get("port_security_enabled", True)
    ok = True
    if not is_vm:
        for key in ("security_groups", "allowed_address_pairs", "port_security_enabled"):
            if key in f:
                faults.add(label, f"key {key!r} is only for VM ports: device_owner "
                           f"{f.get('device_owner')} ports are Neutron's own, never filtered")
                ok = False
        return ((), True, ()) if ok else None
    if "security_groups" in f:
        refs = f["security_groups"]
        found = [groups.resolve(ref, project, label, faults) for ref in refs]
        ok = all(g is not None for g in found)
        group_ids = tuple(dict.fromkeys(g.id for g in found if g is not None))
    elif enabled:
        group_ids = (default_group_id(project),)
    else:
        group_ids = ()
    pairs = []
    for i, raw in enumerate(f.get("allowed_address_pairs", ())):
        pair_label = f"{label} allowed_address_pairs[{i}]"
        p = faults.fields(pair_label, raw, PAIR)
        if p is None:
            ok = False
            continue
        try:
            ip = ipaddress.ip_network(p["ip_address"])
        except ValueError:
            faults.add(pair_label, f"ip_address {p['ip_address']!r} is not an IP address or "
                       "a CIDR")
            ok = False
            continue
        pairs.append(AddressPair(ip, p.get("mac_address", mac)))
    if len(pairs) > MAX_PAIRS:
        faults.add(label, f"{len(pairs)} allowed address pairs, more than {MAX_PAIRS}")
        ok = False
    if len(set(pairs)) != len(pairs):
        faults.add(label, "an allowed address pair is given twice")
        ok = False
    if not enabled and group_ids:
        faults.add(label, "port_security_enabled is false: the port can have no security "
                   "groups")
        ok = False
    if not enabled and pairs:
        faults.add(label, "port_security_enabled is false: the port can have no allowed "
                   "address pairs")
        ok = False
    return (group_ids, enabled, tuple(pairs)) if ok else None


def check_pair_macs(ports: list, faults: Faults) -> None:
    """An allowed address pair's MAC may not be another port's MAC, nor another port's pair
    MAC, in the same network: the firewall delivers a MAC to one port (Neutron allows it,
    for keepalived's virtual MACs; this cloud refuses it rather than guess)."""
    owner: dict[tuple[str, str], str] = {}
    for port in ports:
        owner[(port.network_id, port.mac)] = port.name or port.id
    for port in ports:
        for mac in dict.fromkeys(p.mac for p in port.allowed_address_pairs):
            if mac == port.mac:
                continue
            other = owner.setdefault((port.network_id, mac), port.name or port.id)
            if other != (port.name or port.id):
                faults.add(f"port {port.name or port.id}",
                           f"allowed address pair MAC {mac} is also port {other}'s in its "
                           "network: a MAC shared by two ports is not emulated by this cloud")
