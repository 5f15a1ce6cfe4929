"""A packet to trace, written as ovs-ofctl writes a flow (`icmp,nw_dst=10.0.0.6`,
`tcp,tp_dst=22`, `arp,arp_tpa=10.0.0.1`, `icmp6,ipv6_dst=fd00::6`), completed from where it
starts as the VM's own stack would complete it: its MAC and addresses as the source, the
destination MAC of the port that has the destination address in its network (or of the
network's router interface for an address outside its subnets), an echo request, a TCP SYN
from an ephemeral port, an ARP request to broadcast.

`parse(spec)` -> simulator fields; `complete(cloud, port, fields)` fills in the rest for a
packet a port sends; `complete_arriving(cloud, network, fields)` for one arriving at a node
from a tunnel or a physical network. A fault is a TraceError naming what is wrong.
"""
from __future__ import annotations

import ipaddress

from cloud.model import Cloud, Network, Port
from flows.flow import BROADCAST_MAC, ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6

TCP_SYN = 0x002
EPHEMERAL = 40000
PROTOCOLS = {
    "ip": {"eth_type": ETH_TYPE_IP}, "icmp": {"eth_type": ETH_TYPE_IP, "ip_proto": 1},
    "tcp": {"eth_type": ETH_TYPE_IP, "ip_proto": 6}, "udp": {"eth_type": ETH_TYPE_IP,
                                                             "ip_proto": 17},
    "arp": {"eth_type": ETH_TYPE_ARP}, "ipv6": {"eth_type": ETH_TYPE_IPV6},
    "icmp6": {"eth_type": ETH_TYPE_IPV6, "ip_proto": 58},
    "tcp6": {"eth_type": ETH_TYPE_IPV6, "ip_proto": 6},
    "udp6": {"eth_type": ETH_TYPE_IPV6, "ip_proto": 17},
}
ADDRESS = {"dl_src": "eth_src", "dl_dst": "eth_dst", "nw_src": "ipv4_src", "nw_dst": "ipv4_dst",
           "ipv6_src": "ipv6_src", "ipv6_dst": "ipv6_dst", "arp_spa": "arp_spa",
           "arp_tpa": "arp_tpa", "arp_sha": "arp_sha", "arp_tha": "arp_tha",
           "nd_target": "ipv6_nd_target"}
NUMBER = {"dl_type": "eth_type", "nw_proto": "ip_proto", "arp_op": "arp_op",
          "tun_id": "tunnel_id", "vlan_tci": "vlan_tci", "tcp_flags": "tcp_flags",
          "icmpv6_type": "icmpv6_type", "icmpv6_code": "icmpv6_code"}
BY_PROTOCOL = {"tp_src": "{}_src", "tp_dst": "{}_dst"}   # tcp_src, udp_src, ...
TRANSPORT = {6: "tcp", 17: "udp", 132: "sctp"}


class TraceError(ValueError):
    """A trace request that cannot be traced: the message names what is wrong."""


def _number(key: str, text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise TraceError(f"{key}={text}: not a number") from None


def parse(spec: str) -> dict:
    """The fields a spec names, by the simulator's (OXM) names."""
    fields: dict = {}
    later = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        if "=" not in item:
            if item not in PROTOCOLS:
                raise TraceError(f"{item!r} is not a protocol ({', '.join(PROTOCOLS)}) nor a "
                                 "field=value")
            fields |= PROTOCOLS[item]
            continue
        key, value = (x.strip() for x in item.split("=", 1))
        if key in ADDRESS:
            fields[ADDRESS[key]] = _address(key, value)
        elif key in NUMBER:
            fields[NUMBER[key]] = _number(key, value)
        elif key == "dl_vlan":
            fields["vlan_tci"] = 0x1000 | _number(key, value)
        elif key in BY_PROTOCOL or key in ("icmp_type", "icmp_code"):
            later.append((key, value))
        else:
            known = sorted([*ADDRESS, *NUMBER, *BY_PROTOCOL, "dl_vlan", "icmp_type",
                            "icmp_code"])
            raise TraceError(f"unknown field {key!r} (known: {', '.join(known)})")
    for key, value in later:   # (their names depend on the protocol)
        proto = fields.get("ip_proto")
        if key in BY_PROTOCOL:
            if proto not in TRANSPORT:
                raise TraceError(f"{key} needs tcp, udp or sctp first")
            fields[BY_PROTOCOL[key].format(TRANSPORT[proto])] = _number(key, value)
        else:
            family = "icmpv6" if fields.get("eth_type") == ETH_TYPE_IPV6 else "icmpv4"
            fields[f"{family}_{key.split('_')[1]}"] = _number(key, value)
    return fields


def _address(key: str, value: str) -> str:
    if key.startswith("dl_") or key in ("arp_sha", "arp_tha"):
        parts = value.split(":")
        if len(parts) != 6 or not all(len(p) == 2 for p in parts):
            raise TraceError(f"{key}={value}: not a MAC address")
        try:
            [int(p, 16) for p in parts]
        except ValueError:
            raise TraceError(f"{key}={value}: not a MAC address") from None
        return value.lower()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise TraceError(f"{key}={value}: not an IP address") from None


def _first(ips, version: int) -> str | None:
    return next((str(ip) for ip in ips if ip.version == version), None)


def _defaults(fields: dict) -> dict:
    """What a stack puts in that the spec left out (not addresses)."""
    proto = fields.get("ip_proto")
    if fields.get("eth_type") == ETH_TYPE_ARP:
        return {"arp_op": 1, "arp_tha": "00:00:00:00:00:00"}
    if proto == 1:
        return {"icmpv4_type": 8, "icmpv4_code": 0}
    if proto == 58:
        return {"icmpv6_type": 128, "icmpv6_code": 0}
    if proto == 6:
        return {"tcp_src": EPHEMERAL, "tcp_flags": TCP_SYN}
    if proto in (17, 132):
        return {f"{TRANSPORT[proto]}_src": EPHEMERAL}
    return {}


def complete(cloud: Cloud, port: Port, fields: dict) -> dict:
    """A packet `port` sends: the spec's fields over the port's own."""
    if "eth_type" not in fields:
        raise TraceError("say which protocol (icmp, tcp, udp, arp, ip, icmp6, ...)")
    out = _defaults(fields) | {"eth_src": port.mac} | fields
    ethertype = out["eth_type"]
    if ethertype == ETH_TYPE_ARP:
        out = {"arp_spa": _first(port.ips, 4), "arp_sha": port.mac,
               "eth_dst": BROADCAST_MAC} | out
        if "arp_tpa" not in out:
            raise TraceError("an ARP packet needs arp_tpa (the address asked for)")
    elif ethertype in (ETH_TYPE_IP, ETH_TYPE_IPV6):
        version = 4 if ethertype == ETH_TYPE_IP else 6
        src, dst = ("ipv4_src", "ipv4_dst") if version == 4 else ("ipv6_src", "ipv6_dst")
        if src not in out:
            own = _first(port.ips, version)
            if own is None:
                raise TraceError(f"port {port.name or port.id} has no IPv{version} address: "
                                 f"give {'nw_src' if version == 4 else 'ipv6_src'}")
            out[src] = own
        if dst not in out:
            raise TraceError(f"give the destination ({'nw_dst' if version == 4 else 'ipv6_dst'})")
        if "eth_dst" not in out:
            out["eth_dst"] = next_hop_mac(cloud, cloud.network(port.network_id), out[dst])
    return {k: v for k, v in out.items() if v is not None}


def complete_arriving(cloud: Cloud, network: Network | None, fields: dict) -> dict:
    """A packet arriving from a tunnel or a physical network: its sender is outside."""
    out = _defaults(fields) | {"eth_src": "fa:16:3e:00:00:99"} | fields
    if "eth_dst" in out:
        return out
    dst = out.get("ipv4_dst") or out.get("ipv6_dst")
    if out.get("eth_type") == ETH_TYPE_ARP:
        return {"eth_dst": BROADCAST_MAC} | out
    if dst is None or network is None:
        raise TraceError("give dl_dst (or a destination address in a network this reaches)")
    return out | {"eth_dst": next_hop_mac(cloud, network, dst)}


def next_hop_mac(cloud: Cloud, network: Network, dst: str) -> str:
    """The MAC a VM of `network` sends to for `dst`: the port that has it, or the router
    interface that is the gateway of the VM's subnet for an address outside it."""
    ip = ipaddress.ip_address(dst)
    ports = cloud.ports_of(network.id) + tuple(p for p in cloud.unbound
                                               if p.network_id == network.id)
    owner = next((p for p in ports if ip in p.ips), None)
    if owner is not None:
        return owner.mac
    if network.subnet_of(ip) is None:
        subnet = network.subnet(ip.version)
        gateway = subnet.gateway_ip if subnet else None
        router = next((p for p in ports if p.is_router_interface and gateway in p.ips), None)
        if router is not None:
            return router.mac
        raise TraceError(f"{dst} is outside {network.name or network.id} and no router "
                         f"interface is its gateway ({gateway}): give dl_dst")
    raise TraceError(f"no port of {network.name or network.id} has {dst}: its ARP would go "
                     "unanswered (give dl_dst to trace a frame anyway)")


# simulator field -> ovs-ofctl's, for the names that differ (the rest are the same)
OFCTL_NAMES = {v: k for k, v in ADDRESS.items()} | {v: k for k, v in NUMBER.items()} | {
    "icmpv4_type": "icmp_type", "icmpv4_code": "icmp_code", "ipv6_nd_sll": "nd_sll",
    "ipv6_nd_tll": "nd_tll"}
DECIMAL = {"arp_op", "ip_proto", "icmpv4_type", "icmpv4_code", "icmpv6_type", "icmpv6_code",
           "tcp_src", "tcp_dst", "udp_src", "udp_dst", "sctp_src", "sctp_dst"}
METADATA_ZERO = ("vlan_tci", "tunnel_id", "reg5", "reg6", "reg7", "ct_state", "ct_zone",
                 "ct_mark", "conj_id")


def render(fields: dict) -> str:
    """Fields in ovs-ofctl's (and ofproto/trace's) syntax, protocol fields after the fields
    that say the protocol (OVS refuses arp_*, tp_* ... before it knows the protocol)."""
    first = {name: 2 for name in DECIMAL - {"arp_op"}} | {"eth_type": 0, "ip_proto": 1}
    parts = []
    for name, value in sorted(fields.items(), key=lambda kv: first.get(kv[0], 3)):
        if name.startswith("_") or name in ("in_port", "icmp_id") or (
                name in METADATA_ZERO and not value):
            continue
        if isinstance(value, int) and name not in DECIMAL:
            value = hex(value)
        parts.append(f"{OFCTL_NAMES.get(name, name)}={value}")
    return ",".join(parts)
