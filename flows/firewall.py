"""br-int's firewall flows (Neutron's openvswitch firewall driver), one function per flow
family, the tables declared in flows/pipeline_fw.py: the classifier (TRANSIENT), port
security and conntrack around the rules (BASE_EGRESS, ACCEPT_OR_INGRESS, BASE_INGRESS, the
state flows of RULES_*), and, from flows/fw_rules.py, the rules themselves.

Frames stay tagged with their local VLAN through the egress tables (OVS's conntrack reads
past the tag) and are untagged on the way into a port's ingress pipeline, whose accepted
packets are output straight to the port.
"""
from __future__ import annotations

import ipaddress

from flows import fw_rules, neigh
from flows import tables as t
from flows.flow import (ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, IPPROTO_ICMPV6, IPPROTO_UDP,
                        Ct, Output, PopVlan, SetField, ct_state, match, prefix, vlan)
from flows.pipeline import INT

ETH_TYPES = (ETH_TYPE_IP, ETH_TYPE_IPV6)
ND_TYPES = (130, 131, 132, 133, 135, 136, 143)    # MLD query/report/done, RS, NS, NA, MLDv2
ROUTER_ADVERT = 134
DHCP = {4: (68, 67), 6: (546, 547)}               # (client port, server port)
UNSPECIFIED = {4: "0.0.0.0", 6: None}
INVALID = ct_state("+trk+inv")
REPLY = ct_state("+est-rel+rpl")
RELATED = ct_state("-new-est+rel-inv")
FIRST = ct_state("+new-est")
UNTRACKED = ct_state("-trk")
TRACKED = ct_state("+trk")
NOT_EST = ct_state("-est")
ESTABLISHED = ct_state("+est")


def _udp(version: int, **fields):
    return match(eth_type=ETH_TYPES[version == 6], ip_proto=IPPROTO_UDP, **fields)


def _icmp6(**fields):
    return match(eth_type=ETH_TYPE_IPV6, ip_proto=IPPROTO_ICMPV6, **fields)


# ------------------------------------------------------------------------ TRANSIENT (60)
def classify_egress(ofport: int, lvid: int, filtered: bool):
    """From a port of this node: its port and network in reg5/reg6 -> its egress."""
    return INT[t.TRANSIENT].flow(t.PRIORITY_FW_EGRESS, match(in_port=ofport),
                                 (SetField(t.REG_PORT, ofport), SetField(t.REG_NET, lvid)),
                                 goto=t.BASE_EGRESS if filtered else t.ACCEPT_OR_INGRESS)


def classify_ingress(ofport: int, lvid: int, mac: str):
    """To a filtered port's MAC (or pair MAC): untagged -> its ingress."""
    return INT[t.TRANSIENT].flow(t.PRIORITY_FW_INGRESS, match(vlan_vid=vlan(lvid), eth_dst=mac),
                                 (PopVlan(), SetField(t.REG_PORT, ofport),
                                  SetField(t.REG_NET, lvid)), goto=t.BASE_INGRESS)


# ---------------------------------------------------------------------- BASE_EGRESS (71)
def neighbour_discovery() -> list:
    """ARP, ND (but RA) and MLD from a filtered port: checked in ARP_SPOOF/MAC_SPOOF
    already, on to switching untracked."""
    table = INT[t.BASE_EGRESS]
    return [table.flow(t.PRIORITY_FW_ND, match(eth_type=ETH_TYPE_ARP),
                       goto=t.ACCEPTED_EGRESS_TRAFFIC_NORMAL)] + [
        table.flow(t.PRIORITY_FW_ND, _icmp6(icmpv6_type=kind),
                   goto=t.ACCEPTED_EGRESS_TRAFFIC_NORMAL) for kind in ND_TYPES]


def rogue_servers() -> list:
    """A VM answering as a DHCP or DHCPv6 server, or advertising itself as a router."""
    table = INT[t.BASE_EGRESS]
    return [table.flow(t.PRIORITY_FW_SERVER, _udp(v, udp_src=DHCP[v][1], udp_dst=DHCP[v][0]),
                       goto=t.DROPPED_TRAFFIC) for v in (4, 6)] + [
        table.flow(t.PRIORITY_FW_SERVER, _icmp6(icmpv6_type=ROUTER_ADVERT),
                   goto=t.DROPPED_TRAFFIC)]


def dhcp_client(ofport: int, mac: str, version: int, source: str):
    """The port's own DHCP(v6) request, from `source` -> ACCEPT_OR_INGRESS."""
    client, server = DHCP[version]
    return INT[t.BASE_EGRESS].flow(
        t.PRIORITY_FW_DHCP_CLIENT,
        _udp(version, **{t.REG_PORT: ofport, "eth_src": mac, f"ipv{version}_src": source,
                         "udp_src": client, "udp_dst": server}), goto=t.ACCEPT_OR_INGRESS)


def own_source(ofport: int, mac: str, network):
    """IPv4/IPv6 from one of the port's (MAC, address or CIDR) pairs -> conntrack -> 72."""
    fields = {t.REG_PORT: ofport, "eth_src": mac,
              "eth_type": ETH_TYPES[network.version == 6]}
    if network.prefixlen:
        fields[f"ipv{network.version}_src"] = prefix(network)
    return INT[t.BASE_EGRESS].flow(t.PRIORITY_FW_SOURCE, match(**fields),
                                   (Ct(zone_reg=t.REG_NET, table=t.RULES_EGRESS),))


# ------------------------------------------------------------------------ RULES_* (72, 82)
def invalid(table_id: int):
    return INT[table_id].flow(t.PRIORITY_FW_STATE, match(ct_state=INVALID),
                              goto=t.DROPPED_TRAFFIC)


def state_flows(table_id: int, ofport: int, lvid: int) -> list:
    """Around one port's rules: cut connections dropped, replies and related packets of the
    others accepted, what no rule allows dropped or (established) cut."""
    table = INT[table_id]
    ok = {"goto": t.ACCEPTED_EGRESS_TRAFFIC_NORMAL} if table_id == t.RULES_EGRESS else \
        {"actions": (Output(ofport),)}
    port = {t.REG_PORT: ofport}
    return [
        table.flow(t.PRIORITY_FW_STATE, match(ct_mark=t.CT_MARK_CUT, **port),
                   goto=t.DROPPED_TRAFFIC),
        *(table.flow(t.PRIORITY_FW_STATE, match(ct_zone=lvid, ct_mark=0, ct_state=state, **port),
                     **ok) for state in (REPLY, RELATED)),
        table.flow(t.PRIORITY_FW_NO_RULE, match(ct_state=NOT_EST, **port),
                   goto=t.DROPPED_TRAFFIC),
        *(table.flow(t.PRIORITY_FW_NO_RULE, match(eth_type=eth, ct_state=ESTABLISHED, **port),
                     (Ct(zone_reg=t.REG_NET, commit=True, mark=t.CT_MARK_CUT),))
          for eth in ETH_TYPES),
    ]


# ---------------------------------------------------------------- ACCEPT_OR_INGRESS (73)
def to_local_port(ofport: int, lvid: int, mac: str):
    """Accepted egress for a filtered port of this node: straight into its ingress."""
    return INT[t.ACCEPT_OR_INGRESS].flow(t.PRIORITY_FW_TO_LOCAL,
                                         match(vlan_vid=vlan(lvid), eth_dst=mac),
                                         (PopVlan(), SetField(t.REG_PORT, ofport)),
                                         goto=t.BASE_INGRESS)


def commit_first(ofport: int) -> list:
    return [INT[t.ACCEPT_OR_INGRESS].flow(
        t.PRIORITY_FW_COMMIT, match(eth_type=eth, ct_state=FIRST, **{t.REG_PORT: ofport}),
        (Ct(zone_reg=t.REG_NET, commit=True),), goto=t.ACCEPTED_EGRESS_TRAFFIC)
        for eth in ETH_TYPES]


def egress_accepted(ofport: int):
    return INT[t.ACCEPT_OR_INGRESS].flow(t.PRIORITY_FW_ACCEPT, match(**{t.REG_PORT: ofport}),
                                         goto=t.ACCEPTED_EGRESS_TRAFFIC_NORMAL)


# --------------------------------------------------------------------- BASE_INGRESS (81)
def ingress_base(ofport: int) -> list:
    table, port, out = INT[t.BASE_INGRESS], {t.REG_PORT: ofport}, (Output(ofport),)
    return [
        table.flow(t.PRIORITY_FW_IN_ALWAYS, match(eth_type=ETH_TYPE_ARP, **port), out),
        *(table.flow(t.PRIORITY_FW_IN_ALWAYS, _icmp6(icmpv6_type=kind, **port), out)
          for kind in ND_TYPES + (ROUTER_ADVERT,)),
        *(table.flow(t.PRIORITY_FW_IN_DHCP,
                     _udp(v, udp_src=DHCP[v][1], udp_dst=DHCP[v][0], **port), out)
          for v in (4, 6)),
        *(table.flow(t.PRIORITY_FW_IN_TRACK, match(eth_type=eth, ct_state=UNTRACKED, **port),
                     (Ct(zone_reg=t.REG_NET, table=t.RULES_INGRESS),)) for eth in ETH_TYPES),
        table.flow(t.PRIORITY_FW_IN_RULES, match(ct_state=TRACKED, **port),
                   goto=t.RULES_INGRESS),
    ]


# ------------------------------------------------------------------------------ all of it
def base() -> list:
    """The node's shared firewall flows and the declared last flows of its tables."""
    return [INT[table].miss_flow() for table in (
        t.TRANSIENT, t.BASE_EGRESS, t.RULES_EGRESS, t.ACCEPT_OR_INGRESS, t.BASE_INGRESS,
        t.RULES_INGRESS, t.ACCEPTED_EGRESS_TRAFFIC, t.ACCEPTED_INGRESS_TRAFFIC,
        t.DROPPED_TRAFFIC)] + neighbour_discovery() + rogue_servers() + [
        invalid(t.RULES_EGRESS), invalid(t.RULES_INGRESS)]


def port_macs(port) -> list[str]:
    """The port's MAC and its allowed address pairs' other MACs."""
    return list(dict.fromkeys([port.mac] + [p.mac for p in port.allowed_address_pairs]))


def sources(port):
    """(MAC, address network) the port may send from: its fixed IPs, the link-local address
    of each of its MACs, its allowed address pairs."""
    out = [(port.mac, ipaddress.ip_network(ip)) for ip in port.ips]
    out += [(mac, ipaddress.ip_network(neigh.link_local(mac))) for mac in port_macs(port)]
    out += [(pair.mac, pair.ip) for pair in port.allowed_address_pairs]
    return list(dict.fromkeys(out))


def port_flows(local, security) -> list:
    """One port of this node (a view's LocalPort): its classifier and, if filtered, its
    port security, ingress pipeline, state flows and rules."""
    port, ofport, lvid = local.port, local.ofport, local.vlan
    out = [classify_egress(ofport, lvid, port.filtered), egress_accepted(ofport)]
    if not port.filtered:
        return out
    macs = port_macs(port)
    out += [classify_ingress(ofport, lvid, mac) for mac in macs]
    out += [to_local_port(ofport, lvid, mac) for mac in macs]
    out += commit_first(ofport) + ingress_base(ofport)
    own = sources(port)
    for version in (4, 6):
        addresses = [str(n.network_address) for mac, n in own
                     if mac == port.mac and n.version == version
                     and n.prefixlen == n.max_prefixlen]
        if UNSPECIFIED[version]:
            addresses.insert(0, UNSPECIFIED[version])
        out += [dhcp_client(ofport, port.mac, version, a) for a in addresses]
    out += [own_source(ofport, mac, network) for mac, network in own]
    for table_id in (t.RULES_EGRESS, t.RULES_INGRESS):
        out += state_flows(table_id, ofport, lvid)
    out += fw_rules.port_rule_flows(ofport, security.groups_of(port), security.blocks)
    return out


def network_flows(lvid: int, filtered_ports, security, members=None) -> list:
    """One network of this node: clause 1 of its filtered ports' remote-group rules, for
    every member (or those `members(group id, version)` gives: flows/incremental.py's one
    port's addresses)."""
    groups = {g.id: g for p in filtered_ports for g in security.groups_of(p)}
    return fw_rules.member_flows(lvid, groups.values(), security.blocks,
                                 members or security.members)
