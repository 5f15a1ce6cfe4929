"""Security groups, their rules and a port's allowed address pairs, as parsed (see
cloud/schema_sg.py); the firewall's flows are built from them in flows/firewall*.py."""
from __future__ import annotations

from dataclasses import dataclass

from cloud.meta import NO_META, IPNetwork, Meta

INGRESS, EGRESS = "ingress", "egress"
DIRECTIONS = (INGRESS, EGRESS)
IPV4, IPV6 = "IPv4", "IPv6"
ETHERTYPES = (IPV4, IPV6)
DEFAULT_GROUP = "default"   # the name of each project's own group

# Neutron's protocol names (neutron-lib IP_PROTOCOL_MAP) and numbers
PROTOCOLS = {"ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1,
             "igmp": 2, "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58,
             "icmpv6": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89,
             "pgm": 113, "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136,
             "vrrp": 112}
IPV6_ONLY = {"ipv6-encap", "ipv6-frag", "ipv6-icmp", "icmpv6", "ipv6-nonxt", "ipv6-opts",
             "ipv6-route"}
ICMP, ICMPV6, TCP, UDP, SCTP = 1, 58, 6, 17, 132
WITH_PORTS = {TCP, UDP, SCTP, 33, 136}    # Neutron: TCP, UDP, SCTP, DCCP, UDP-Lite
PORTS_MATCHED = {TCP, UDP, SCTP}          # ... of which OVS can match the ports


def protocol_number(protocol: str | None, ethertype: str) -> int | None:
    """The IP protocol a rule's `protocol` means (None: any); ICMP under IPv6 is ICMPv6, as
    Neutron's firewall reads it."""
    if protocol is None:
        return None
    number = PROTOCOLS[protocol] if protocol in PROTOCOLS else int(protocol)
    return ICMPV6 if number == ICMP and ethertype == IPV6 else number


@dataclass(frozen=True)
class AddressPair:
    """An allowed address pair: the port may also send from `ip` (an address or a CIDR)
    with source MAC `mac` (the port's own unless another is given)."""

    ip: IPNetwork
    mac: str


@dataclass(frozen=True)
class Rule:
    """A security group rule, in Neutron's terms: what one direction of the group's ports
    accepts (`remote_ip_prefix` or `remote_group_id` names the other end; neither: any)."""

    id: str
    direction: str                      # ingress | egress
    ethertype: str = IPV4               # IPv4 | IPv6
    protocol: str | None = None         # as given: a name (tcp) or a number ("6"); None: any
    port_range_min: int | None = None   # TCP/UDP/SCTP/DCCP/UDP-Lite ports; ICMP type
    port_range_max: int | None = None   # ... ICMP code
    remote_ip_prefix: IPNetwork | None = None
    remote_group_id: str | None = None
    meta: Meta = NO_META

    @property
    def version(self) -> int:
        return 4 if self.ethertype == IPV4 else 6

    @property
    def number(self) -> int | None:
        return protocol_number(self.protocol, self.ethertype)


@dataclass(frozen=True)
class SecurityGroup:
    id: str
    name: str
    rules: tuple[Rule, ...] = ()
    stateful: bool = True
    meta: Meta = NO_META

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_GROUP
