"""Flows <-> os-ken OpenFlow 1.3 messages: flow-mods out, flow-stats entries back in.

The only place that knows os-ken's parser classes for flows; flows/ stays independent of them.
Decoding covers exactly the vocabulary flows/flow.py defines, so the switch's flows can be
diffed against desired ones; anything else raises UndecodableFlow (and is then deleted by
its raw match, being ours by cookie but nothing we would install).
"""
from __future__ import annotations

from os_ken.ofproto import nicira_ext
from os_ken.ofproto import ofproto_v1_3 as ofp
from os_ken.ofproto import ofproto_v1_3_parser as parser

from controller import oxm_ext
from flows.flow import (Conjunction, Ct, CtClear, Flow, Learn, LearnLoad, LearnMatch,
                        LearnOutput, Move, Output, PopVlan, PushVlan, SetField, match)
from flows.tables import COOKIE_MASK

FULL_COOKIE_MASK = 0xFFFFFFFFFFFFFFFF
CT_ZONE_BITS = nicira_ext.ofs_nbits(0, 15)   # zone=NXM_NX_REG6[0..15]
CT_NO_TABLE = 255                            # NX_CT_RECIRC_NONE
oxm_ext.register()  # nd_reserved, nd_options_type (the ND responder's fields)


class UndecodableFlow(ValueError):
    pass


# ----------------------------------------------------------------------------------- encode
def _ofp_match(flow: Flow) -> parser.OFPMatch:
    return parser.OFPMatch(**dict(flow.match))


def _learn_field(name: str) -> tuple[str, int]:
    return (name, 0)


def _encode_learn(learn: Learn) -> parser.NXActionLearn:
    specs = []
    for spec in learn.specs:
        if isinstance(spec, LearnMatch):
            specs.append(parser.NXFlowSpecMatch(src=_learn_field(spec.src),
                                                dst=_learn_field(spec.dst), n_bits=spec.n_bits))
        elif isinstance(spec, LearnLoad):
            src = spec.src if isinstance(spec.src, int) else _learn_field(spec.src)
            specs.append(parser.NXFlowSpecLoad(src=src, dst=_learn_field(spec.dst),
                                               n_bits=spec.n_bits))
        elif isinstance(spec, LearnOutput):
            specs.append(parser.NXFlowSpecOutput(src=_learn_field(spec.src), dst="", n_bits=32))
    return parser.NXActionLearn(table_id=learn.table, specs=specs, priority=learn.priority,
                                hard_timeout=learn.hard_timeout, cookie=learn.cookie)


def _encode_ct(ct: Ct) -> parser.NXActionCT:
    exec_ = [] if ct.mark is None else [parser.OFPActionSetField(ct_mark=ct.mark)]
    return parser.NXActionCT(flags=nicira_ext.NX_CT_F_COMMIT if ct.commit else 0,
                             zone_src=ct.zone_reg, zone_ofs_nbits=CT_ZONE_BITS,
                             recirc_table=CT_NO_TABLE if ct.table is None else ct.table,
                             alg=0, actions=exec_)


def encode_action(action):
    if isinstance(action, Output):
        return parser.OFPActionOutput(action.port, 0)
    if isinstance(action, PushVlan):
        return parser.OFPActionPushVlan(action.ethertype)
    if isinstance(action, PopVlan):
        return parser.OFPActionPopVlan()
    if isinstance(action, SetField):
        return parser.OFPActionSetField(**{action.field: action.value})
    if isinstance(action, Move):
        return parser.NXActionRegMove(src_field=action.src, dst_field=action.dst,
                                      n_bits=action.n_bits, src_ofs=0, dst_ofs=0)
    if isinstance(action, Learn):
        return _encode_learn(action)
    if isinstance(action, Ct):
        return _encode_ct(action)
    if isinstance(action, CtClear):
        return parser.NXActionCTClear()
    if isinstance(action, Conjunction):  # the wire's clause is 0-based, ovs-ofctl's 1-based
        return parser.NXActionConjunction(clause=action.clause - 1,
                                          n_clauses=action.n_clauses, id_=action.id)
    raise TypeError(f"cannot encode action {action!r}")


def action_bytes(action) -> bytes:
    """One action as os-ken encodes it, padded to the length its header declares (os-ken's
    Nicira actions declare a multiple of 8 but leave the padding to the enclosing
    instruction)."""
    buf = bytearray()
    encode_action(action).serialize(buf, 0)
    length = int.from_bytes(buf[2:4], "big")
    return bytes(buf) + bytes(max(0, length - len(buf)))


def _instructions(flow: Flow) -> list:
    out = []
    if flow.actions:
        out.append(parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS,
                                                [encode_action(a) for a in flow.actions]))
    if flow.goto is not None:
        out.append(parser.OFPInstructionGotoTable(flow.goto))
    return out


def flow_mod(datapath, flow: Flow, command: int) -> parser.OFPFlowMod:
    """ADD, MODIFY_STRICT or DELETE_STRICT of one entry; modify/delete touch only our cookie."""
    strict = command != ofp.OFPFC_ADD
    return parser.OFPFlowMod(
        datapath, cookie=flow.cookie, cookie_mask=FULL_COOKIE_MASK if strict else 0,
        table_id=flow.table, command=command, priority=flow.priority,
        buffer_id=ofp.OFP_NO_BUFFER, out_port=ofp.OFPP_ANY, out_group=ofp.OFPG_ANY,
        match=_ofp_match(flow),
        instructions=[] if command == ofp.OFPFC_DELETE_STRICT else _instructions(flow))


def delete_raw(datapath, table: int, priority: int, cookie: int, ofp_match) -> parser.OFPFlowMod:
    """Strict delete of an entry we could not decode, by its own match."""
    return parser.OFPFlowMod(datapath, cookie=cookie, cookie_mask=FULL_COOKIE_MASK,
                             table_id=table, command=ofp.OFPFC_DELETE_STRICT, priority=priority,
                             buffer_id=ofp.OFP_NO_BUFFER, out_port=ofp.OFPP_ANY,
                             out_group=ofp.OFPG_ANY, match=ofp_match)


def flow_stats_request(datapath, cookie: int) -> parser.OFPFlowStatsRequest:
    """Every flow of our cookie family, in every table."""
    return parser.OFPFlowStatsRequest(datapath, 0, ofp.OFPTT_ALL, ofp.OFPP_ANY, ofp.OFPG_ANY,
                                      cookie, COOKIE_MASK, parser.OFPMatch())


BUNDLE_FLAGS = ofp.ONF_BF_ATOMIC | ofp.ONF_BF_ORDERED


def bundle_open(datapath, bundle_id: int) -> parser.ONFBundleCtrlMsg:
    return parser.ONFBundleCtrlMsg(datapath, bundle_id, ofp.ONF_BCT_OPEN_REQUEST, BUNDLE_FLAGS,
                                   [])


def bundle_add(datapath, bundle_id: int, message) -> parser.ONFBundleAddMsg:
    return parser.ONFBundleAddMsg(datapath, bundle_id, BUNDLE_FLAGS, message, [])


def bundle_commit(datapath, bundle_id: int) -> parser.ONFBundleCtrlMsg:
    return parser.ONFBundleCtrlMsg(datapath, bundle_id, ofp.ONF_BCT_COMMIT_REQUEST,
                                   BUNDLE_FLAGS, [])


def bundle_discard(datapath, bundle_id: int) -> parser.ONFBundleCtrlMsg:
    return parser.ONFBundleCtrlMsg(datapath, bundle_id, ofp.ONF_BCT_DISCARD_REQUEST,
                                   BUNDLE_FLAGS, [])


def port_desc_request(datapath) -> parser.OFPPortDescStatsRequest:
    return parser.OFPPortDescStatsRequest(datapath, 0)


# ----------------------------------------------------------------------------------- decode
def _decode_value(value):
    return tuple(value) if isinstance(value, (tuple, list)) else value


def _field(name: str) -> str:
    """os-ken names a field OVS sends back with its NXM header `<oxm name>_nxm`."""
    return name.removesuffix("_nxm")


def _decode_spec(spec):
    src = (_field(spec.src[0]),) + tuple(spec.src[1:]) if isinstance(spec.src, tuple) \
        else spec.src
    dst = (_field(spec.dst[0]),) + tuple(spec.dst[1:]) if isinstance(spec.dst, tuple) \
        else spec.dst
    if isinstance(spec, parser.NXFlowSpecMatch):
        return LearnMatch(dst=dst[0], src=src[0], n_bits=spec.n_bits)
    if isinstance(spec, parser.NXFlowSpecLoad):
        return LearnLoad(dst=dst[0], src=src if isinstance(src, int) else src[0],
                         n_bits=spec.n_bits)
    if isinstance(spec, parser.NXFlowSpecOutput):
        return LearnOutput(src=src[0])
    raise UndecodableFlow(f"learn spec {spec!r}")


def _decode_action(action):
    if isinstance(action, parser.OFPActionOutput):
        return Output(action.port)
    if isinstance(action, parser.OFPActionPushVlan):
        return PushVlan(action.ethertype)
    if isinstance(action, parser.OFPActionPopVlan):
        return PopVlan()
    if isinstance(action, parser.OFPActionSetField):
        return SetField(action.key, _decode_value(action.value))
    if isinstance(action, parser.NXActionRegMove):
        if action.src_ofs or action.dst_ofs:
            raise UndecodableFlow("reg-move with offsets")
        return Move(_field(action.src_field), _field(action.dst_field), action.n_bits)
    if isinstance(action, parser.NXActionLearn):
        return Learn(table=action.table_id, priority=action.priority,
                     hard_timeout=action.hard_timeout, cookie=action.cookie,
                     specs=tuple(_decode_spec(s) for s in action.specs))
    if isinstance(action, parser.NXActionCT):
        return _decode_ct(action)
    if isinstance(action, parser.NXActionCTClear):
        return CtClear()
    if isinstance(action, parser.NXActionConjunction):
        return Conjunction(action.id, action.clause + 1, action.n_clauses)
    raise UndecodableFlow(f"action {type(action).__name__}")


def _decode_ct(action) -> Ct:
    if (action.flags & ~nicira_ext.NX_CT_F_COMMIT or action.alg or not action.zone_src
            or action.zone_ofs_nbits != CT_ZONE_BITS):
        raise UndecodableFlow("ct() outside the firewall's forms")
    mark = None
    for inner in action.actions:
        if not (isinstance(inner, parser.OFPActionSetField) and inner.key == "ct_mark"):
            raise UndecodableFlow("ct(exec(...)) other than setting ct_mark")
        mark = inner.value
    return Ct(zone_reg=_field(action.zone_src), commit=bool(action.flags),
              table=None if action.recirc_table == CT_NO_TABLE else action.recirc_table,
              mark=mark)


def decode_stats(stats) -> Flow:
    """One OFPFlowStats entry as a Flow; UndecodableFlow if outside our vocabulary."""
    actions, goto = [], None
    for inst in stats.instructions:
        if isinstance(inst, parser.OFPInstructionActions) and inst.type == ofp.OFPIT_APPLY_ACTIONS:
            actions.extend(_decode_action(a) for a in inst.actions)
        elif isinstance(inst, parser.OFPInstructionGotoTable):
            goto = inst.table_id
        else:
            raise UndecodableFlow(f"instruction {type(inst).__name__}")
    try:
        fields = {name: _decode_value(value) for name, value in stats.match.items()}
        m = match(**fields)
    except ValueError as exc:
        raise UndecodableFlow(str(exc)) from exc
    return Flow(table=stats.table_id, priority=stats.priority, match=m, actions=tuple(actions),
                goto=goto, cookie=stats.cookie)
