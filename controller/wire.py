"""Flow-mods inside bundle-add messages, straight to bytes: the send path's hot loop.

os-ken's parser classes build an object tree per flow-mod (match, instructions, actions) and
serialize it in several passes: about 4,400 flow-mods/s on this machine, an order of magnitude
below what one OVS bridge accepts from `ovs-ofctl --bundle` (see bench/). This module encodes
the small vocabulary of flows/flow.py directly with struct:

- match fields: OXM TLVs from os-ken's own field table (numbers, sizes), sorted by field
  number as os-ken's OFPMatch sorts them;
- Output, PushVlan, PopVlan, Move and Learn: os-ken's encoding of that action, cached (these
  repeat across thousands of flows: a few ports, a few moves, one learn per bridge);
- SetField: encoded here (its value is often unique: a MAC, an IP).

tests/unit/test_wire.py checks every flow the pipeline produces byte-for-byte against
controller/ofmsg.py (os-ken's classes), which stays the reference and the decoder.
"""
from __future__ import annotations

import socket
import struct
from functools import lru_cache

from os_ken.ofproto import ofproto_common
from os_ken.ofproto import ofproto_v1_3 as ofp

from controller import ofmsg, wire_fast
from flows.flow import FIELDS, IP_FIELDS, MAC_FIELDS, Flow, SetField

_FLOW_MOD = struct.Struct("!QQBBHHHIIIH2x")           # after the header, before the match
_MATCH_HEADER = struct.Struct("!HH")
_OXM_HEADER = struct.Struct("!I")
_EXPERIMENTER = struct.Struct("!II")
_BUNDLE_ADD = struct.Struct("!I2xH")                  # bundle id, pad, flags
_INSTRUCTION = struct.Struct("!HH4x")                 # apply-actions: type, length, pad
_GOTO = struct.Struct("!HHB3x")
_ACTION_HEADER = struct.Struct("!HH")
_BUNDLE_ADD_HEADERS = struct.Struct("!BBHI" "II" "I2xH" "BBHI")  # 32 bytes

_ADD_PREFIX = ofp.OFP_HEADER_SIZE + _EXPERIMENTER.size + _BUNDLE_ADD.size  # 24 bytes


def _pad8(n: int) -> int:
    return (n + 7) // 8 * 8


def _field_table() -> dict[str, tuple[int, int, int, str]]:  # pragma: no mutate block
    """name -> (oxm number, exact header, masked header, kind); ofmsg has registered OVS's
    extra fields."""
    table = {}
    for name in FIELDS:
        num, desc = ofp.oxm_get_field_info_by_name(name)
        size = desc.size
        kind = "mac" if name in MAC_FIELDS else "ip" if name in IP_FIELDS else f"int{size}"
        table[name] = (num, (num << 9) | size, (num << 9) | (1 << 8) | (size * 2), kind)
    return table


_FIELDS = _field_table()


def _value(kind: str, value) -> bytes:
    if kind == "mac":
        return bytes.fromhex(value.replace(":", ""))
    if kind == "ip":
        return socket.inet_pton(socket.AF_INET6 if ":" in value else socket.AF_INET, value)
    return value.to_bytes(int(kind[3:]), "big")


@lru_cache(maxsize=1 << 17)
def _tlv(name: str, value) -> bytes:
    """One OXM TLV. Cached: a port's MAC and addresses recur in its flows (its unicast entry,
    its ARP answer, on every node of its network), a VLAN or an ethertype in thousands."""
    _, exact, masked, kind = _FIELDS[name]
    if isinstance(value, tuple):
        return _OXM_HEADER.pack(masked) + _value(kind, value[0]) + _value(kind, value[1])
    return _OXM_HEADER.pack(exact) + _value(kind, value)


@lru_cache(maxsize=4096)
def _order(names: tuple[str, ...]) -> tuple[int, ...]:
    """The positions of a match's fields (sorted by name) in OXM number order, as os-ken's
    OFPMatch writes them: per set of field names, computed once."""
    return tuple(sorted(range(len(names)), key=lambda i: _FIELDS[names[i]][0]))


def encode_match(fields) -> bytes:
    order = _order(tuple([name for name, _ in fields]))
    tlvs = b"".join([_tlv(*fields[i]) for i in order])
    length = _MATCH_HEADER.size + len(tlvs)
    return _MATCH_HEADER.pack(ofp.OFPMT_OXM, length) + tlvs + bytes(_pad8(length) - length)


def _set_field(action: SetField) -> bytes:
    tlv = _tlv(action.field, action.value)
    length = _pad8(_ACTION_HEADER.size + len(tlv))
    return (_ACTION_HEADER.pack(ofp.OFPAT_SET_FIELD, length) + tlv
            + bytes(length - _ACTION_HEADER.size - len(tlv)))


@lru_cache(maxsize=1 << 17)
def encode_action(action) -> bytes:
    """One action's bytes, cached (a tunnel's output, a VLAN pop, a network's tun_id, a
    port's MAC recur across thousands of flows): SetField encoded here, the others by
    os-ken (ofmsg.action_bytes)."""
    if isinstance(action, SetField):
        return _set_field(action)
    return ofmsg.action_bytes(action)


def encode_instructions(flow: Flow) -> bytes:
    out = b""
    if flow.actions:
        actions = b"".join([encode_action(a) for a in flow.actions])
        out += _INSTRUCTION.pack(ofp.OFPIT_APPLY_ACTIONS, _INSTRUCTION.size + len(actions))
        out += actions
    if flow.goto is not None:
        out += _GOTO.pack(ofp.OFPIT_GOTO_TABLE, _GOTO.size, flow.goto)
    return out


def flow_mod_body(flow: Flow, command: int) -> bytes:
    """Everything of the flow-mod after its 8-byte header (what ofmsg.flow_mod encodes)."""
    strict = command != ofp.OFPFC_ADD
    fixed = _FLOW_MOD.pack(flow.cookie, ofmsg.FULL_COOKIE_MASK if strict else 0, flow.table,
                           command, 0, 0, flow.priority, ofp.OFP_NO_BUFFER, ofp.OFPP_ANY,
                           ofp.OFPG_ANY, 0)
    instructions = b"" if command == ofp.OFPFC_DELETE_STRICT else encode_instructions(flow)
    return fixed + encode_match(flow.match) + instructions


def bundle_add(xid: int, bundle_id: int, flow: Flow, command: int) -> bytes:
    """One ONF bundle-add message carrying the flow-mod (both with this xid): the four
    headers (message, experimenter, bundle-add, flow-mod) packed at once; the commonest
    shapes' adds from their fixed layouts (controller/wire_fast.py)."""
    if command == ofp.OFPFC_ADD:
        data = wire_fast.encode(xid, bundle_id, flow)
        if data is not None:
            return data
    body = flow_mod_body(flow, command)
    inner = ofp.OFP_HEADER_SIZE + len(body)
    return _BUNDLE_ADD_HEADERS.pack(
        ofp.OFP_VERSION, ofp.OFPT_EXPERIMENTER, _ADD_PREFIX + inner, xid,
        ofproto_common.ONF_EXPERIMENTER_ID, ofp.ONF_ET_BUNDLE_ADD_MESSAGE, bundle_id,
        ofmsg.BUNDLE_FLAGS, ofp.OFP_VERSION, ofp.OFPT_FLOW_MOD, inner, xid) + body


def reference_bundle_add(datapath, xid: int, bundle_id: int, flow: Flow, command: int) -> bytes:
    """The same message through os-ken's classes (tests and the benchmark compare the two)."""
    msg = ofmsg.bundle_add(datapath, bundle_id, ofmsg.flow_mod(datapath, flow, command))
    msg.set_xid(xid)
    msg.serialize()
    return bytes(msg.buf)

