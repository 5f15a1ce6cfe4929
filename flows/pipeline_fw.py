"""br-int's firewall tables, declared as flows/pipeline.py declares the others: Neutron's
openvswitch firewall driver (security groups and port security with conntrack), in its
table numbers and register use, so that `ovs-ofctl dump-flows br-int` reads like a Neutron
node's. The flows are built in flows/firewall.py (per port, base) and flows/fw_rules.py (the
security group rules, conjunctions).
"""
from __future__ import annotations

from cloud.naming import BR_INT
from flows import tables as t
from flows.declare import DROP, FIELDS, Miss, Table

RULE_OFFSETS = (
    (0, 'a remote-group rule without protocol (conjunction)'),
    (1, 'a remote-group ICMP rule without type (conjunction)'),
    (2, 'a remote-group ICMP rule with a type, no code (conjunction)'),
    (3, 'any other remote-group rule (conjunction)'),
    (4, 'a rule without protocol'),
    (5, 'an ICMP rule without type'),
    (6, 'an ICMP rule with a type, no code'),
    (7, 'any other rule (ports, a protocol, an ICMP type and code)'),
)
RULE_FIELDS = ('reg5', 'reg6', 'ct_state', 'ct_zone', 'ct_mark', 'conj_id', 'eth_type',
               'ip_proto', 'tcp_dst', 'udp_dst', 'sctp_dst', 'icmpv4_type', 'icmpv4_code',
               'icmpv6_type', 'icmpv6_code')


def _rule_priorities(accept: str) -> tuple[tuple[int, str], ...]:  # pragma: no mutate block
    return ((
        (t.PRIORITY_FW_STATE,
         f'invalid (ct_state +inv) or cut (ct_mark 1): dropped; a reply or related packet of '
         f'a connection still allowed: {accept}'),
    ) + tuple((t.PRIORITY_FW_RULE + off, f'{what}: {accept}') for off, what in RULE_OFFSETS)
        + ((t.PRIORITY_FW_NO_RULE,
            'no rule allows it: a new connection dropped, an established one cut (ct_mark 1)'),
           (t.PRIORITY_MISS, 'anything else: dropped')))


FIREWALL: tuple[Table, ...] = (
    Table(BR_INT, t.BASE_EGRESS, 'BASE_EGRESS',
          fields=FIELDS('reg5', 'eth_type', 'ip_proto', 'eth_src', 'ipv4_src', 'ipv6_src',
                        'udp_src', 'udp_dst', 'icmpv6_type'),
          next=(t.ACCEPT_OR_INGRESS, t.DROPPED_TRAFFIC, t.ACCEPTED_EGRESS_TRAFFIC_NORMAL),
          miss=Miss(goto=t.DROPPED_TRAFFIC),
          priorities=(
              (t.PRIORITY_FW_ND, 'ARP, neighbour discovery (but RA) and MLD -> '
               'ACCEPTED_EGRESS_TRAFFIC_NORMAL'),
              (t.PRIORITY_FW_DHCP_CLIENT, "the port's own DHCP or DHCPv6 request -> "
               'ACCEPT_OR_INGRESS'),
              (t.PRIORITY_FW_SERVER, 'a DHCP or DHCPv6 server reply, a router advertisement '
               'from a VM -> DROPPED_TRAFFIC'),
              (t.PRIORITY_FW_SOURCE, "IPv4/IPv6 from one of the port's own (MAC, address) "
               'pairs: conntrack in the network\'s zone -> RULES_EGRESS'),
              (t.PRIORITY_MISS, 'anything else (a spoofed source address, another ethertype) '
               '-> DROPPED_TRAFFIC'),
          ),
          doc=(
              'Port security of what a filtered port sends. ARP and IPv6 neighbour discovery '
              '(already checked against the port in ARP_SPOOF and MAC_SPOOF) and MLD go on '
              'untracked. The DHCP and DHCPv6 requests of the port (from its MAC, from no '
              'address or its own) are accepted. A VM answering as a DHCP or DHCPv6 server, or '
              'sending router advertisements, is dropped. IPv4 and IPv6 go to conntrack (zone = '
              "the network's local VLAN) only from the port's own MAC and fixed IPs, its "
              'link-local address and its allowed address pairs (an address or a CIDR, with '
              "the pair's MAC); any other source address, and any other ethertype, is dropped. "
              "(Neutron's priority-110 ct_clear flow is not needed: nothing is tracked before "
              'this table here.)'
          )),
    Table(BR_INT, t.RULES_EGRESS, 'RULES_EGRESS',
          fields=FIELDS(*RULE_FIELDS, 'ipv4_dst', 'ipv6_dst', 'eth_dst'),
          next=(t.ACCEPT_OR_INGRESS, t.DROPPED_TRAFFIC, t.ACCEPTED_EGRESS_TRAFFIC_NORMAL),
          miss=DROP,
          priorities=_rule_priorities('-> ACCEPT_OR_INGRESS (a reply -> switching)'),
          doc=(
              "The port's egress security group rules, around conntrack's state. A packet "
              'conntrack finds invalid, or of a connection marked cut, is dropped. A reply or a '
              'related packet (ICMP error) of a connection not cut goes on to switching. A new '
              'connection, or a packet of an established one in its original direction, is '
              'checked against the rules on every packet: one flow pair (+new-est and '
              '+est-rel-rpl) per rule, in the priorities of Neutron (more specific rules '
              'higher); a rule naming a remote group is a conjunctive match (the group '
              "members' addresses one clause per network, the rule's protocol and ports per "
              'port the other), so flows grow with ports plus rules, not ports times rules. '
              'What no rule allows is dropped; an established connection no rule allows any '
              'more is cut: its conntrack entry gets ct_mark 1, and every later packet of it, '
              'either way, is dropped.'
          )),
    Table(BR_INT, t.ACCEPT_OR_INGRESS, 'ACCEPT_OR_INGRESS',
          fields=FIELDS('reg5', 'vlan_vid', 'eth_dst', 'eth_type', 'ct_state'),
          next=(t.BASE_INGRESS, t.ACCEPTED_EGRESS_TRAFFIC, t.ACCEPTED_EGRESS_TRAFFIC_NORMAL),
          miss=DROP,
          priorities=(
              (t.PRIORITY_FW_TO_LOCAL, '(local VLAN, MAC of a filtered port of this node): '
               'untagged, reg5 = that port -> BASE_INGRESS'),
              (t.PRIORITY_FW_COMMIT, 'the first packet of a connection: committed to '
               'conntrack -> ACCEPTED_EGRESS_TRAFFIC'),
              (t.PRIORITY_FW_ACCEPT, 'anything else the port may send -> '
               'ACCEPTED_EGRESS_TRAFFIC_NORMAL'),
              (t.PRIORITY_MISS, 'anything else: dropped'),
          ),
          doc=(
              'Accepted egress. Addressed to a filtered port of this node, it goes straight '
              "into that port's ingress pipeline (same-host traffic is checked by both "
              "ports' groups, in the same zone). Otherwise the first packet of a new "
              'connection is committed to conntrack, and the packet goes on to switching. '
              "Trusted ports (Neutron's DHCP and router ports, ports without port security) "
              'come here straight from TRANSIENT.'
          )),
    Table(BR_INT, t.BASE_INGRESS, 'BASE_INGRESS',
          fields=FIELDS('reg5', 'eth_type', 'ip_proto', 'icmpv6_type', 'udp_src', 'udp_dst',
                        'ct_state'),
          next=(t.RULES_INGRESS,), miss=DROP,
          priorities=(
              (t.PRIORITY_FW_IN_ALWAYS, 'ARP, neighbour discovery, router advertisements, '
               'MLD: delivered'),
              (t.PRIORITY_FW_IN_DHCP, 'a DHCP or DHCPv6 reply: delivered'),
              (t.PRIORITY_FW_IN_TRACK, 'IPv4/IPv6 not tracked yet: conntrack in the '
               "network's zone -> RULES_INGRESS"),
              (t.PRIORITY_FW_IN_RULES, 'tracked already (by the sending port here) -> '
               'RULES_INGRESS'),
              (t.PRIORITY_MISS, 'anything else: dropped'),
          ),
          doc=(
              'What a filtered port receives. ARP, neighbour discovery, router advertisements '
              'and MLD, and DHCP and DHCPv6 replies, are always delivered (the servers are '
              "Neutron's own ports). IPv4 and IPv6 go through conntrack (unless the sending "
              'port on this node tracked them already) and on to the rules. There is no '
              'source check on ingress: the rules decide.'
          )),
    Table(BR_INT, t.RULES_INGRESS, 'RULES_INGRESS',
          fields=FIELDS(*RULE_FIELDS, 'ipv4_src', 'ipv6_src', 'eth_src'),
          next=(t.DROPPED_TRAFFIC,), miss=DROP,
          priorities=_rule_priorities('delivered to the port (a new connection committed)'),
          doc=(
              "The port's ingress security group rules, as RULES_EGRESS does for egress, "
              'with the remote address on the source side; accepted packets are delivered to '
              'the port (output to it, not switched), the first one of a connection committed '
              'to conntrack.'
          )),
    Table(BR_INT, t.ACCEPTED_EGRESS_TRAFFIC, 'ACCEPTED_EGRESS_TRAFFIC',
          fields=FIELDS(), next=(t.ACCEPTED_EGRESS_TRAFFIC_NORMAL,),
          miss=Miss(goto=t.ACCEPTED_EGRESS_TRAFFIC_NORMAL),
          priorities=((t.PRIORITY_MISS, '-> ACCEPTED_EGRESS_TRAFFIC_NORMAL'),),
          doc=(
              "The first packet of an accepted egress connection (Neutron's hook for "
              'security group logging, which this cloud does not emulate): on to switching.'
          )),
    Table(BR_INT, t.ACCEPTED_INGRESS_TRAFFIC, 'ACCEPTED_INGRESS_TRAFFIC',
          fields=FIELDS(), next=(), miss=DROP,
          priorities=((t.PRIORITY_MISS, 'dropped (nothing comes here)'),),
          doc=(
              "Neutron's logging hook for the first packet of an accepted ingress connection "
              '(a copy); unused here, declared so the numbering reads as Neutron\'s.'
          )),
    Table(BR_INT, t.DROPPED_TRAFFIC, 'DROPPED_TRAFFIC',
          fields=FIELDS(), next=(), miss=DROP,
          priorities=((t.PRIORITY_MISS, 'dropped'),),
          doc=(
              'Where the firewall sends what it drops for a reason (a spoofed source, a rogue '
              "DHCP server or router, no rule, a cut connection): dropped. Its packet counter "
              "is the firewall's drop count (Neutron's logging hook)."
          )),
)
