"""Flows as ovs-ofctl text: rendering (for logs, docs, `ovs-ofctl add-flows`) and parsing of
`ovs-ofctl -O OpenFlow13 --no-stats --no-names dump-flows` output back into Flow values.

Parsing uses the `ovs.flow` parser of python-ovs for tokenising and maps its result onto the
pipeline's vocabulary; anything outside that vocabulary is an UnknownFlow error, never silently
ignored, so a comparison with desired flows cannot miss a foreign entry.
"""
from __future__ import annotations

import ipaddress

from flows.flow import (CT_STATE_BITS, ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, IPPROTO_ICMP,
                        IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, OFPP_IN_PORT,
                        OFPP_NORMAL, OFPVID_NONE, OFPVID_PRESENT, Conjunction, Ct, CtClear, Flow,
                        Learn, LearnLoad, LearnMatch, LearnOutput, Move, Output, PopVlan,
                        PushVlan, SetField, ct_state, match)

# OXM field -> NXM name, as ovs-ofctl writes learn specs and moves.
NXM = {"vlan_tci": "NXM_OF_VLAN_TCI", "eth_dst": "NXM_OF_ETH_DST",
       "eth_src": "NXM_OF_ETH_SRC", "tunnel_id": "NXM_NX_TUN_ID", "in_port": "NXM_OF_IN_PORT",
       "arp_sha": "NXM_NX_ARP_SHA", "arp_tha": "NXM_NX_ARP_THA", "arp_spa": "NXM_OF_ARP_SPA",
       "arp_tpa": "NXM_OF_ARP_TPA", "ipv6_src": "NXM_NX_IPV6_SRC",
       "ipv6_dst": "NXM_NX_IPV6_DST", "reg5": "NXM_NX_REG5", "reg6": "NXM_NX_REG6",
       "reg7": "NXM_NX_REG7"}
# ovs-ofctl prints the OXM name of a field os-ken encoded as OXM (OXM_OF_IN_PORT): both parse.
NXM_FIELD = {v: k for k, v in NXM.items()} | {
    "OXM_OF_" + v.split("_", 2)[2]: k for k, v in NXM.items()}
FIELD_BITS = {"vlan_tci": 16, "eth_dst": 48, "eth_src": 48, "tunnel_id": 64, "in_port": 32,
              "arp_sha": 48, "arp_tha": 48, "arp_spa": 32, "arp_tpa": 32, "ipv6_src": 128,
              "ipv6_dst": 128}
# OXM field -> ovs-ofctl match/set_field keyword
OFCTL = {"eth_dst": "dl_dst", "eth_src": "dl_src", "eth_type": "dl_type", "tunnel_id": "tun_id",
         "in_port": "in_port", "arp_op": "arp_op", "arp_spa": "arp_spa", "arp_tpa": "arp_tpa",
         "arp_sha": "arp_sha", "arp_tha": "arp_tha", "vlan_vid": "vlan_vid",
         "ipv6_src": "ipv6_src", "ipv6_dst": "ipv6_dst", "ipv6_nd_target": "nd_target",
         "icmpv6_type": "icmp_type", "icmpv6_code": "icmp_code", "icmpv4_type": "icmp_type",
         "icmpv4_code": "icmp_code", "ip_proto": "nw_proto", "udp_src": "tp_src",
         "udp_dst": "tp_dst", "tcp_src": "tp_src", "tcp_dst": "tp_dst", "sctp_src": "tp_src",
         "sctp_dst": "tp_dst", "ipv4_src": "nw_src", "ipv4_dst": "nw_dst", "reg5": "reg5",
         "reg6": "reg6", "reg7": "reg7", "ct_zone": "ct_zone", "ct_mark": "ct_mark",
         "conj_id": "conj_id"}
HEX_FIELDS = {"tunnel_id", "reg5", "reg6", "reg7", "ct_mark"}   # ovs-ofctl prints them in hex
# (eth_type, ip_proto) -> the keyword ovs-ofctl prints for both
PROTOCOL_NAMES = {(ETH_TYPE_IP, IPPROTO_UDP): "udp", (ETH_TYPE_IP, IPPROTO_TCP): "tcp",
                  (ETH_TYPE_IP, IPPROTO_ICMP): "icmp", (ETH_TYPE_IP, IPPROTO_SCTP): "sctp",
                  (ETH_TYPE_IPV6, IPPROTO_UDP): "udp6", (ETH_TYPE_IPV6, IPPROTO_TCP): "tcp6",
                  (ETH_TYPE_IPV6, IPPROTO_ICMPV6): "icmp6", (ETH_TYPE_IPV6, IPPROTO_SCTP): "sctp6"}
# set_field keywords where they differ from the match keyword
OFCTL_SET = {"icmpv6_type": "icmpv6_type", "ipv6_nd_tll": "nd_tll", "nd_reserved": "nd_reserved",
             "nd_options_type": "nd_options_type"}
ETH_TYPE_NAMES = {ETH_TYPE_ARP: "arp", ETH_TYPE_IP: "ip", ETH_TYPE_IPV6: "ipv6"}


class UnknownFlow(ValueError):
    pass


# ---------------------------------------------------------------------------------- render
def _hex(value: int) -> str:
    return "0x%x" % value if value else "0"   # C's %#x, as ovs-ofctl prints


def render_ct_state(value: int, mask: int) -> str:
    return "".join(("+" if value & bit else "-") + name
                   for name, bit in CT_STATE_BITS if mask & bit)


def _render_ip(value) -> str:
    if isinstance(value, tuple):  # ovs-ofctl prints a prefix mask as a prefix length
        address, mask = (ipaddress.ip_address(v) for v in value)
        bits = int(mask)
        length = bin(bits).count("1")
        if bits == (1 << mask.max_prefixlen) - (1 << (mask.max_prefixlen - length)):
            return f"{address}/{length}"
        return f"{address}/{mask}"
    return value


def _render_field(name: str, value) -> str:
    if name == "vlan_vid":
        if value == OFPVID_NONE:
            return "vlan_tci=0x0000/0x1fff"
        if isinstance(value, tuple):
            return "vlan_tci=0x%04x/0x%04x" % value
        return "dl_vlan=%d" % (value & 0xFFF)
    if name == "eth_type":
        return ETH_TYPE_NAMES.get(value) or "dl_type=" + _hex(value)
    if name == "ct_state":
        return "ct_state=" + render_ct_state(*value)
    key = OFCTL[name]
    if name in ("ipv4_src", "ipv4_dst", "ipv6_src", "ipv6_dst"):
        return f"{key}={_render_ip(value)}"
    if isinstance(value, tuple):
        v, m = value
        show = [_hex(x) if isinstance(x, int) else x for x in (v, m)]
        return f"{key}={show[0]}/{show[1]}"
    if name in HEX_FIELDS:
        return f"{key}={_hex(value)}"
    return f"{key}={value}"


def _render_learn(learn: Learn) -> str:
    parts = [f"table={learn.table}", f"hard_timeout={learn.hard_timeout}",
             f"priority={learn.priority}", f"cookie={_hex(learn.cookie)}"]
    for spec in learn.specs:
        if isinstance(spec, LearnMatch):
            dst = NXM[spec.dst] + ("[0..%d]" % (spec.n_bits - 1) if spec.dst == "vlan_tci"
                                   else "[]")
            parts.append(dst if spec.src == spec.dst else f"{dst}={NXM[spec.src]}[]")
        elif isinstance(spec, LearnLoad):
            src = spec.src if isinstance(spec.src, int) else NXM[spec.src] + "[]"
            parts.append(f"load:{src}->{NXM[spec.dst]}[]")
        elif isinstance(spec, LearnOutput):
            parts.append(f"output:{NXM[spec.src]}[]")
    return "learn(%s)" % ",".join(parts)


def _render_ct(ct: Ct) -> str:
    parts = ["commit"] if ct.commit else []
    if ct.table is not None:
        parts.append(f"table={ct.table}")
    parts.append(f"zone={NXM[ct.zone_reg]}[0..15]")
    if ct.mark is not None:
        parts.append(f"exec(set_field:{_hex(ct.mark)}->ct_mark)")
    return "ct(%s)" % ",".join(parts)


def render_action(action) -> str:
    if isinstance(action, Output):
        named = {OFPP_IN_PORT: "IN_PORT", OFPP_NORMAL: "NORMAL"}
        return named.get(action.port) or f"output:{action.port}"
    if isinstance(action, PushVlan):
        return "push_vlan:" + _hex(action.ethertype)
    if isinstance(action, PopVlan):
        return "pop_vlan"
    if isinstance(action, SetField):
        value = action.value
        text = _hex(value) if action.field in HEX_FIELDS else str(value)
        return f"set_field:{text}->{OFCTL_SET.get(action.field) or OFCTL[action.field]}"
    if isinstance(action, Move):
        return f"move:{NXM[action.src]}[]->{NXM[action.dst]}[]"
    if isinstance(action, Learn):
        return _render_learn(action)
    if isinstance(action, Ct):
        return _render_ct(action)
    if isinstance(action, CtClear):
        return "ct_clear"
    if isinstance(action, Conjunction):
        return f"conjunction({action.id},{action.clause}/{action.n_clauses})"
    raise UnknownFlow(f"cannot render action {action!r}")


def render_match(flow: Flow) -> str:
    fields = dict(flow.match)
    parts = []
    keyword = PROTOCOL_NAMES.get((fields.get("eth_type"), fields.get("ip_proto")))
    if keyword:
        del fields["eth_type"], fields["ip_proto"]
        parts.append(keyword)
    elif "eth_type" in fields:  # protocol keyword first, as ovs-ofctl prints it
        parts.append(_render_field("eth_type", fields.pop("eth_type")))
    parts += [_render_field(name, value) for name, value in fields.items()]
    return ",".join(parts)


def render_actions(flow: Flow) -> str:
    parts = [render_action(a) for a in flow.actions]
    if flow.goto is not None:
        parts.append(f"goto_table:{flow.goto}")
    return ",".join(parts) or "drop"


def render(flow: Flow) -> str:
    """One flow as `ovs-ofctl dump-flows --no-stats` prints it, which `add-flow` also reads."""
    m = render_match(flow)
    return (f"cookie={_hex(flow.cookie)}, table={flow.table}, priority={flow.priority}"
            + ("," + m if m else "") + " actions=" + render_actions(flow))


# ----------------------------------------------------------------------------------- parse
# python-ovs's parser returns its own value objects: IntMask (value, mask, fully()), EthMask
# (eth, mask), IPMask (ip(), mask(), cidr-style str). These map them onto canonical values.

def _mac(eui) -> str:
    import netaddr
    return str(netaddr.EUI(str(eui), dialect=netaddr.mac_unix_expanded)).lower()


def _plain(value):
    from ovs.flow import decoders as d
    if isinstance(value, d.IntMask):
        return value.value if value.fully() else (value.value, value.mask)
    if isinstance(value, d.EthMask):
        return _mac(value.eth) if value.mask is None else (_mac(value.eth), _mac(value.mask))
    if isinstance(value, d.IPMask):  # prints as ADDR/PREFIX or ADDR/MASK
        address, _, mask = str(value).partition("/")
        net = ipaddress.ip_network(str(value), strict=False)
        if not mask or net.prefixlen == net.max_prefixlen:
            return address
        return (address, str(net.netmask))
    if isinstance(value, (int, str)):
        return value
    raise UnknownFlow(f"value {value!r}")


def _parse_vlan(key: str, value) -> int | tuple:
    if key == "dl_vlan":
        return OFPVID_PRESENT | int(value)
    v = _plain(value)
    if key == "vlan_vid":
        return v
    v, m = v if isinstance(v, tuple) else (v, 0xFFFF)
    if (v, m) == (0, 0x1FFF):
        return OFPVID_NONE
    if m in (0x1FFF, 0xFFFF) and v & OFPVID_PRESENT:
        return v & 0x1FFF
    return (v, m)


MATCH_KEYWORDS = {"dl_dst": "eth_dst", "dl_src": "eth_src", "tun_id": "tunnel_id",
                  "in_port": "in_port", "arp_op": "arp_op", "arp_spa": "arp_spa",
                  "arp_tpa": "arp_tpa", "arp_sha": "arp_sha", "arp_tha": "arp_tha",
                  "dl_type": "eth_type", "eth_type": "eth_type", "ipv6_src": "ipv6_src",
                  "ipv6_dst": "ipv6_dst", "nd_target": "ipv6_nd_target",
                  "icmpv6_type": "icmpv6_type", "icmpv6_code": "icmpv6_code",
                  "nw_proto": "ip_proto", "udp_dst": "udp_dst", "udp_src": "udp_src",
                  "tcp_dst": "tcp_dst", "tcp_src": "tcp_src", "nw_src": "ipv4_src",
                  "nw_dst": "ipv4_dst", "ip_src": "ipv4_src", "ip_dst": "ipv4_dst",
                  "reg5": "reg5", "reg6": "reg6", "reg7": "reg7", "ct_zone": "ct_zone",
                  "ct_mark": "ct_mark", "conj_id": "conj_id"}
# keywords whose field depends on the protocol: tp_* of TCP, UDP or SCTP; icmp_* of v4 or v6
PROTOCOL_FIELDS = {"tp_src": {IPPROTO_TCP: "tcp_src", IPPROTO_UDP: "udp_src",
                              IPPROTO_SCTP: "sctp_src"},
                   "tp_dst": {IPPROTO_TCP: "tcp_dst", IPPROTO_UDP: "udp_dst",
                              IPPROTO_SCTP: "sctp_dst"},
                   "icmp_type": {IPPROTO_ICMP: "icmpv4_type", IPPROTO_ICMPV6: "icmpv6_type"},
                   "icmp_code": {IPPROTO_ICMP: "icmpv4_code", IPPROTO_ICMPV6: "icmpv6_code"}}
PROTOCOL_KEYWORDS = {"arp": {"eth_type": ETH_TYPE_ARP}, "ip": {"eth_type": ETH_TYPE_IP},
                     "ipv6": {"eth_type": ETH_TYPE_IPV6}} | {
    name: {"eth_type": eth_type, "ip_proto": proto}
    for (eth_type, proto), name in PROTOCOL_NAMES.items()}
SET_FIELD_NAMES = {"tun_id": "tunnel_id", "dl_dst": "eth_dst", "dl_src": "eth_src",
                   "nd_tll": "ipv6_nd_tll"}


def _parse_match(data: dict) -> dict:
    fields, later = {}, {}
    for key, value in data.items():
        if key == "priority":
            continue
        if key in PROTOCOL_KEYWORDS:
            fields.update(PROTOCOL_KEYWORDS[key])
        elif key in ("dl_vlan", "vlan_tci", "vlan_vid"):
            fields["vlan_vid"] = _parse_vlan(key, value)
        elif key == "ct_state":
            fields["ct_state"] = ct_state(value)
        elif key in MATCH_KEYWORDS:
            fields[MATCH_KEYWORDS[key]] = _plain(value)
        elif key in PROTOCOL_FIELDS:
            later[key] = _plain(value)
        else:
            raise UnknownFlow(f"match field {key}")
    for key, value in later.items():
        name = PROTOCOL_FIELDS[key].get(fields.get("ip_proto"))
        if name is None:
            raise UnknownFlow(f"{key} without a protocol that has it")
        fields[name] = value
    return fields


def _nxm_field(name: str) -> str:
    field = NXM_FIELD.get(name.split("[")[0])
    if field is None:
        raise UnknownFlow(f"learn field {name}")
    return field


def _parse_learn(items: list) -> Learn:
    params, specs = {}, []
    for item in items:
        ((key, value),) = item.items()
        if key in ("table", "hard_timeout", "priority", "cookie"):
            params[key] = int(value)
        elif key == "load":
            dst = _nxm_field(value["dst"]["field"])
            src = value["src"]["field"] if "src" in value else int(value["value"])
            specs.append(LearnLoad(dst=dst, src=src if isinstance(src, int) else _nxm_field(src),
                                   n_bits=FIELD_BITS[dst]))
        elif key == "output":
            specs.append(LearnOutput(src=_nxm_field(value["port"])))
        elif key.startswith("NXM_"):
            dst = _nxm_field(key)
            src = _nxm_field(value["field"]) if isinstance(value, dict) else dst
            bits = (value["end"] - value["start"] + 1 if isinstance(value, dict) and "end" in value
                    else FIELD_BITS[dst])
            specs.append(LearnMatch(dst=dst, src=src, n_bits=bits))
        else:
            raise UnknownFlow(f"learn argument {key}")
    return Learn(table=params["table"], priority=params.get("priority", 32768),
                 hard_timeout=params.get("hard_timeout", 0), cookie=params.get("cookie", 0),
                 specs=tuple(specs))


def _parse_ct(value: dict) -> Ct:
    zone = value.get("zone")
    if not isinstance(zone, dict) or (zone.get("start"), zone.get("end")) != (0, 15):
        raise UnknownFlow(f"ct zone {zone!r}")
    mark = None
    for item in value.get("exec", ()):
        ((key, inner),) = item.items()
        ((field, val),) = inner["value"].items() if key == "set_field" else ((None, None),)
        if field != "ct_mark":
            raise UnknownFlow(f"ct exec {item!r}")
        mark = _plain(val)
    unknown = set(value) - {"commit", "table", "zone", "exec"}
    if unknown:
        raise UnknownFlow(f"ct arguments {sorted(unknown)}")
    return Ct(zone_reg=_nxm_field(zone["field"]), commit=bool(value.get("commit")),
              table=int(value["table"]) if "table" in value else None, mark=mark)


def _parse_actions(items: list) -> tuple[tuple, int | None]:
    actions, goto = [], None
    for item in items:
        ((key, value),) = item.items()
        if key == "output":
            port = value["port"]
            named = {"IN_PORT": OFPP_IN_PORT, "NORMAL": OFPP_NORMAL}
            actions.append(Output(named[port] if port in named else int(port)))
        elif key == "push_vlan":
            actions.append(PushVlan(int(value)))
        elif key in ("pop_vlan", "strip_vlan"):
            actions.append(PopVlan())
        elif key == "set_field":
            ((field, val),) = value["value"].items()
            actions.append(SetField(SET_FIELD_NAMES.get(field, field), _plain(val)))
        elif key == "load":  # what learned flows use: 0 into the TCI (untag), a tun_id
            dst = _nxm_field(value["dst"]["field"])
            if dst == "vlan_tci" and int(value["value"]) == 0:
                actions.append(PopVlan())
            elif dst == "tunnel_id":
                actions.append(SetField("tunnel_id", int(value["value"])))
            else:
                raise UnknownFlow(f"load into {dst}")
        elif key == "move":
            src, dst = _nxm_field(value["src"]["field"]), _nxm_field(value["dst"]["field"])
            actions.append(Move(src, dst, FIELD_BITS[dst]))
        elif key == "goto_table":
            goto = int(value)
        elif key == "learn":
            actions.append(_parse_learn(value))
        elif key == "ct":
            actions.append(_parse_ct(value))
        elif key == "ct_clear":
            actions.append(CtClear())
        elif key == "conjunction":
            actions.append(Conjunction(int(value["id"]), int(value["k"]), int(value["n"])))
        elif key != "drop":
            raise UnknownFlow(f"action {key}")
    return tuple(actions), goto


def parse_dump_line(line: str) -> Flow:
    """One line of `ovs-ofctl -O OpenFlow13 --no-stats --no-names dump-flows` as a Flow.

    (--no-stats because python-ovs 3.1's parser rejects the n_packets statistic.)
    """
    from ovs.flow.ofp import OFPFlow  # python-ovs; imported here so flows/ loads without it

    parsed = OFPFlow(line.strip())
    info, m = parsed.info, parsed.match
    actions, goto = _parse_actions(parsed.actions)
    return Flow(table=int(info.get("table", 0)), priority=int(m.get("priority", 32768)),
                match=match(**_parse_match(m)), actions=actions, goto=goto,
                cookie=int(info.get("cookie", 0)))


def parse_dump(text: str) -> list[Flow]:
    return [parse_dump_line(line) for line in text.splitlines() if "actions=" in line]
