"""OXM fields OVS has and os-ken 3.1 does not know: the ND "reserved" word and option type.

OVS (since 2.11) exposes them as ERICOXM_OF_ICMPV6_ND_RESERVED and
ERICOXM_OF_ICMPV6_ND_OPTIONS_TYPE: 32-bit OXM headers of class 0x1000, fields 1 and 2. They
are what lets a flow turn a neighbour solicitation into an advertisement (flows/neigh.py).
os-ken builds its OXM tables once, as dictionaries bound into functools.partial objects of
ofproto_v1_3; `register()` adds the two fields to those tables so that OFPMatch and
OFPActionSetField encode them and flow-stats replies decode them like any other field.
"""
from __future__ import annotations

from os_ken.lib import type_desc
from os_ken.ofproto import ofproto_v1_3 as ofp
from os_ken.ofproto import oxm_fields

ERICOXM_OF_CLASS = 0x1000


class EricssonOxm(oxm_fields._OxmClass):
    _class = ERICOXM_OF_CLASS


FIELDS = (EricssonOxm("nd_reserved", 1, type_desc.Int4),
          EricssonOxm("nd_options_type", 2, type_desc.Int1))


def _tables() -> tuple[dict, dict]:
    """os-ken's (name -> field, num -> field) tables for OpenFlow 1.3."""
    name_to_field = ofp.oxm_from_user.args[1]
    num_to_field = ofp.oxm_to_user.args[1]
    if not isinstance(name_to_field, dict) or not isinstance(num_to_field, dict):
        raise RuntimeError("os-ken's OXM tables are not where oxm_ext expects them")
    return name_to_field, num_to_field


def register() -> None:
    """Idempotent; called when controller/ofmsg.py is imported."""
    name_to_field, num_to_field = _tables()
    for field in FIELDS:
        name_to_field.setdefault(field.name, field)
        num_to_field.setdefault(field.num, field)
