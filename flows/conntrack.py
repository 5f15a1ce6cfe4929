"""A connection tracker for the simulator, as ovs-vswitchd's userspace one behaves for the
firewall's flows: one table per node (shared by its bridges), connections keyed by zone and
5-tuple, ct_state filled in by a lookup (`ct()`), entries created by a commit.

What a lookup gives, in OVS's terms:
- +trk+new: no committed connection has this packet's tuple in either direction;
- +trk+est: the packet belongs to a committed connection, in its original direction;
- +trk+est+rpl: ... in the reply direction;
- +trk+inv: the packet cannot start or continue a connection (an ICMP echo reply or a
  TCP segment without SYN that belongs to no connection).
ct_mark is the connection's mark (0 when there is none). Related packets (ICMP errors
quoting a connection) are not modelled: the simulator's packets carry no quoted header.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flows.flow import (CT_EST, CT_INV, CT_NEW, CT_RPL, CT_TRK, ETH_TYPE_IP, ETH_TYPE_IPV6,
                        IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP)

TCP_SYN = 0x02
# ICMP queries whose answer is a reply of the same id: request type -> reply type
ICMP_QUERIES = {IPPROTO_ICMP: {8: 0, 13: 14, 15: 16, 17: 18},
                IPPROTO_ICMPV6: {128: 129}}
PORTS = {IPPROTO_TCP: ("tcp_src", "tcp_dst"), IPPROTO_UDP: ("udp_src", "udp_dst"),
         IPPROTO_SCTP: ("sctp_src", "sctp_dst")}

Tuple = tuple  # (proto, src, dst, sport, dport) of the original direction


@dataclass
class Connection:
    zone: int
    orig: Tuple
    mark: int = 0


@dataclass
class Conntrack:
    """The tracker of one node."""
    connections: dict[tuple[int, Tuple], Connection] = field(default_factory=dict)

    @staticmethod
    def _tuple(f: dict) -> tuple[Tuple, Tuple, str] | None:
        """(tuple as sent, the tuple of its reply, kind) or None for a non-IP packet. kind:
        'request' may start a connection, 'reply' may only answer one, 'other' both."""
        eth_type = f.get("eth_type")
        if eth_type not in (ETH_TYPE_IP, ETH_TYPE_IPV6):
            return None
        v4 = eth_type == ETH_TYPE_IP
        src, dst = (f.get("ipv4_src"), f.get("ipv4_dst")) if v4 else \
            (f.get("ipv6_src"), f.get("ipv6_dst"))
        proto = f.get("ip_proto", 0)
        if proto in PORTS:
            sport, dport = (f.get(name, 0) for name in PORTS[proto])
            return (proto, src, dst, sport, dport), (proto, dst, src, dport, sport), "other"
        if proto in ICMP_QUERIES:
            kind_field = "icmpv4_type" if proto == IPPROTO_ICMP else "icmpv6_type"
            queries = ICMP_QUERIES[proto]
            icmp_type, ident = f.get(kind_field, 0), f.get("icmp_id", 0)
            if icmp_type in queries:
                return ((proto, src, dst, icmp_type, ident),
                        (proto, dst, src, icmp_type, ident), "request")
            request = next((q for q, r in queries.items() if r == icmp_type), None)
            if request is not None:  # a reply is the request's tuple, reversed
                return ((proto, dst, src, request, ident),
                        (proto, src, dst, request, ident), "reply")
        return (proto, src, dst, 0, 0), (proto, dst, src, 0, 0), "other"

    def lookup(self, f: dict, zone: int) -> tuple[int, int]:
        """(ct_state, ct_mark) of the packet with header fields `f` in `zone`."""
        found = self._tuple(f)
        if found is None:
            return CT_TRK | CT_INV, 0
        sent, back, kind = found
        if kind == "reply":  # `sent` is already the request's tuple
            conn = self.connections.get((zone, sent))
            if conn is not None:
                return CT_TRK | CT_EST | CT_RPL, conn.mark
            return CT_TRK | CT_INV, 0
        conn = self.connections.get((zone, sent))
        if conn is not None:
            return CT_TRK | CT_EST, conn.mark
        conn = self.connections.get((zone, back))
        if conn is not None:
            return CT_TRK | CT_EST | CT_RPL, conn.mark
        proto = sent[0]
        if proto == IPPROTO_TCP and "tcp_flags" in f and not f["tcp_flags"] & TCP_SYN:
            return CT_TRK | CT_INV, 0
        return CT_TRK | CT_NEW, 0

    def commit(self, f: dict, zone: int, mark: int | None) -> None:
        """Commit the packet's connection (no-op for one already committed, except that a
        mark is set), as ct(commit[,exec(set_field:M->ct_mark)]) does."""
        found = self._tuple(f)
        if found is None:
            return
        sent, back, kind = found
        key = (zone, sent) if kind == "reply" or (zone, back) not in self.connections \
            else (zone, back)
        conn = self.connections.get(key)
        if conn is None:
            if kind == "reply":
                return  # OVS does not commit an invalid packet
            conn = self.connections[key] = Connection(zone, key[1])
        if mark is not None:
            conn.mark = mark

    def entries(self, zone: int | None = None) -> list[Connection]:
        return [c for (z, _), c in sorted(self.connections.items(), key=str)
                if zone is None or z == zone]

    def flush(self, zone: int | None = None) -> None:
        for key in [k for k in self.connections if zone is None or k[0] == zone]:
            del self.connections[key]
