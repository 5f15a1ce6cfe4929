"""Fixed layouts for the flows a node has most of: a remote port's unicast-to-tunnel entry
(br-tun UCAST_TO_TUN) and its ARP answer (ARP_RESPONDER), one each per port of a network
on every other node that hosts it (21,600 of the 21,832 flows of benchmark 1).

controller/wire.py encodes any flow field by field (cached TLVs and actions) and asks here
first: these two shapes are written with one struct per message, their constant parts
(os-ken's encoding, ofmsg.action_bytes) packed once. `encode(xid, bundle, flow)` returns
None for a flow that is not exactly one of the shapes (any other match, action, goto or
cookie), which wire.py then encodes the general way; tests/unit/test_wire.py holds every
flow of the pipeline to os-ken's bytes either way.
"""
from __future__ import annotations

import socket
import struct
from functools import lru_cache

from os_ken.ofproto import ofproto_common
from os_ken.ofproto import ofproto_v1_3 as ofp

from controller import ofmsg
from flows import tables as t
from flows.flow import ETH_TYPE_ARP, OFPP_IN_PORT, Output, PopVlan, SetField
from flows.neigh import answer_arp

# The first 76 bytes of every bundled flow-mod: message header, experimenter, bundle-add,
# flow-mod header, the flow-mod's fixed part and the match's header; of a shape, in one
# bundle, all of it is fixed but the xid (twice): _fixed() packs the rest once, in 3 pieces.
_HEAD = struct.Struct("!BBH")                         # the message's version, type, length
_MIDDLE = struct.Struct("!II" "I2xH" "BBH")           # experimenter, bundle-add, flow-mod's
_TAIL = struct.Struct("!QQBBHHHIIIH2x" "HH")          # flow-mod's fixed part, match header
_START = "!4sI20sI44s"                                # head, xid, middle, xid, tail
_UCAST = struct.Struct(_START + "I6s" "IH" "4x")      # eth_dst, vlan_vid, pad
_ARP = struct.Struct(_START + "IH" "IH" "IH" "I4s" "2x")   # eth_type, vlan_vid, arp_op,
#                                                            arp_tpa, pad
_INSTRUCTION = struct.Struct("!HH4x")
_SET_MAC = struct.Struct("!HHI6s2x")        # a set-field of a MAC: 16 bytes
_SET_IP4 = struct.Struct("!HHI4s4x")        # of an IPv4 address: 16 bytes


def _oxm(name: str, masked: bool = False) -> int:
    num, desc = ofp.oxm_get_field_info_by_name(name)
    return (num << 9) | (desc.size * (2 if masked else 1)) | (0x100 if masked else 0)


ETH_DST, VLAN_VID, ETH_TYPE, ARP_OP, ARP_TPA = (_oxm(n) for n in (
    "eth_dst", "vlan_vid", "eth_type", "arp_op", "arp_tpa"))
ARP_SHA, ARP_SPA, ETH_SRC = (_oxm(n) for n in ("arp_sha", "arp_spa", "eth_src"))
UCAST_MATCH_LEN = 4 + 10 + 6            # header, eth_dst, vlan_vid (padded to 24)
ARP_MATCH_LEN = 4 + 6 + 6 + 6 + 8       # header, eth_type, vlan_vid, arp_op, arp_tpa (to 32)


def _apply(actions: bytes) -> bytes:
    return _INSTRUCTION.pack(ofp.OFPIT_APPLY_ACTIONS, _INSTRUCTION.size + len(actions)) + actions


@lru_cache(maxsize=1 << 14)
def _ucast_instructions(segmentation_id: int, ofport: int) -> bytes:
    """pop_vlan, set_field tun_id, output: one per network and tunnel."""
    return _apply(b"".join(ofmsg.action_bytes(a) for a in (
        PopVlan(), SetField("tunnel_id", segmentation_id), Output(ofport))))


def _arp_parts() -> tuple[bytes, bytes, bytes]:
    """The ARP answer's constant actions: before the port's (arp_op, the two moves), between
    (eth_src -> eth_dst) and after (back out of the port it came in)."""
    sample = answer_arp("192.0.2.1", "fa:16:3e:00:00:01") + (Output(OFPP_IN_PORT),)
    enc = [ofmsg.action_bytes(a) for a in sample]
    return enc[0] + enc[1] + enc[2], enc[5], enc[7]


_ARP_BEFORE, _ARP_BETWEEN, _ARP_AFTER = _arp_parts()
_ARP_ACTIONS_LEN = len(_ARP_BEFORE) + len(_ARP_BETWEEN) + len(_ARP_AFTER) + 3 * 16
_ARP_INSTRUCTION = _INSTRUCTION.pack(ofp.OFPIT_APPLY_ACTIONS,
                                     _INSTRUCTION.size + _ARP_ACTIONS_LEN)   # (its header)
_ARP_BODY = 40 + 32 + _INSTRUCTION.size + _ARP_ACTIONS_LEN    # fixed part, match, instruction
_ARP_MOVES = answer_arp("192.0.2.1", "fa:16:3e:00:00:01")
_ARP_CONSTANT = (0, 1, 2, 5)                                  # arp_op=2 and the moves
_ARP_SET = ((3, "arp_sha"), (4, "arp_spa"), (6, "eth_src"))   # the port's MAC and IP


@lru_cache(maxsize=256)
def _fixed(bundle_id: int, body_len: int, cookie: int, table: int, priority: int,
           match_len: int) -> tuple[bytes, bytes, bytes]:
    """The fixed pieces of a shape's bundle-add (around the two xids) in one bundle."""
    inner = 8 + body_len
    return (_HEAD.pack(ofp.OFP_VERSION, ofp.OFPT_EXPERIMENTER, 24 + inner),
            _MIDDLE.pack(ofproto_common.ONF_EXPERIMENTER_ID, ofp.ONF_ET_BUNDLE_ADD_MESSAGE,
                         bundle_id, ofmsg.BUNDLE_FLAGS, ofp.OFP_VERSION, ofp.OFPT_FLOW_MOD,
                         inner),
            _TAIL.pack(cookie, 0, table, ofp.OFPFC_ADD, 0, 0, priority, ofp.OFP_NO_BUFFER,
                       ofp.OFPP_ANY, ofp.OFPG_ANY, 0, ofp.OFPMT_OXM, match_len))


def _mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def _ucast(xid: int, bundle_id: int, flow) -> bytes | None:
    match, actions = flow.match, flow.actions
    if len(match) != 2 or match[0][0] != "eth_dst" or match[1][0] != "vlan_vid" or \
            type(match[0][1]) is not str or type(match[1][1]) is not int or \
            len(actions) != 3 or type(actions[0]) is not PopVlan or \
            type(actions[1]) is not SetField or actions[1].field != "tunnel_id" or \
            type(actions[2]) is not Output:
        return None
    instructions = _ucast_instructions(actions[1].value, actions[2].port)
    body = 40 + 24 + len(instructions)
    head, middle, tail = _fixed(bundle_id, body, flow.cookie, flow.table, flow.priority,
                                UCAST_MATCH_LEN)
    return _UCAST.pack(head, xid, middle, xid, tail, ETH_DST, _mac(match[0][1]), VLAN_VID,
                       match[1][1]) + instructions


def _arp(xid: int, bundle_id: int, flow) -> bytes | None:
    match, actions = flow.match, flow.actions
    if len(match) != 4 or match[0] != ("arp_op", 1) or match[1][0] != "arp_tpa" or \
            match[2] != ("eth_type", ETH_TYPE_ARP) or match[3][0] != "vlan_vid" or \
            type(match[3][1]) is not int or ":" in match[1][1] or len(actions) != 8:
        return None
    for at in _ARP_CONSTANT:   # (the family's own constants: the same objects, mostly)
        if actions[at] is not _ARP_MOVES[at] and actions[at] != _ARP_MOVES[at]:
            return None
    for at, field in _ARP_SET:
        if type(actions[at]) is not SetField or actions[at].field != field:
            return None
    if type(actions[7]) is not Output or actions[7].port != OFPP_IN_PORT:
        return None
    head, middle, tail = _fixed(bundle_id, _ARP_BODY, flow.cookie, flow.table, flow.priority,
                                ARP_MATCH_LEN)
    return b"".join((
        _ARP.pack(head, xid, middle, xid, tail, ETH_TYPE,
                  ETH_TYPE_ARP, VLAN_VID, match[3][1], ARP_OP, 1, ARP_TPA,
                  socket.inet_aton(match[1][1])),
        _ARP_INSTRUCTION, _ARP_BEFORE,
        _SET_MAC.pack(ofp.OFPAT_SET_FIELD, 16, ARP_SHA, _mac(actions[3].value)),
        _SET_IP4.pack(ofp.OFPAT_SET_FIELD, 16, ARP_SPA, socket.inet_aton(actions[4].value)),
        _ARP_BETWEEN,
        _SET_MAC.pack(ofp.OFPAT_SET_FIELD, 16, ETH_SRC, _mac(actions[6].value)),
        _ARP_AFTER))


_SHAPES = {(t.UCAST_TO_TUN, t.PRIORITY_L2POP_UCAST): _ucast,
           (t.ARP_RESPONDER, t.PRIORITY_ARP_RESPONSE): _arp}


def encode(xid: int, bundle_id: int, flow) -> bytes | None:
    """A bundle-add carrying the ADD of `flow`, if it is one of the shapes here."""
    shape = _SHAPES.get((flow.table, flow.priority))
    if shape is None or flow.goto is not None:
        return None
    return shape(xid, bundle_id, flow)

