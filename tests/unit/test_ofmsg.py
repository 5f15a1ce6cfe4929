"""Flows -> os-ken flow-mods -> wire bytes -> parsed back -> the same Flows (tier 1: no switch).

This is the path every flow takes to a switch and back in a flow-stats reply, including the two
Ericsson OXMs os-ken does not ship (controller/oxm_ext.py)."""
import pytest
from os_ken.ofproto import ofproto_protocol
from os_ken.ofproto import ofproto_v1_3 as ofp
from os_ken.ofproto import ofproto_v1_3_parser as parser

from cloud.naming import BR_INT, BR_TUN
from controller import ofmsg
from flows import desired


class Stats:
    """What ofmsg.decode_stats reads of an OFPFlowStats entry."""

    def __init__(self, mod):
        self.table_id, self.priority, self.cookie = mod.table_id, mod.priority, mod.cookie
        self.match, self.instructions = mod.match, mod.instructions


def round_trip(flow):
    dp = ofproto_protocol.ProtocolDesc(version=ofp.OFP_VERSION)
    mod = ofmsg.flow_mod(dp, flow, ofp.OFPFC_ADD)
    mod.serialize()
    parsed = parser.OFPFlowMod.parser(dp, mod.version, mod.msg_type, mod.msg_len, mod.xid,
                                      mod.buf)
    return ofmsg.decode_stats(Stats(parsed))


@pytest.mark.parametrize("bridge", [BR_INT, BR_TUN])
def test_every_desired_flow_survives_the_wire(views, bridge):
    flows = [f for v in views.values() for f in desired.bridge_flows(v, bridge).values()]
    assert any(f.get("icmpv6_type") for f in flows), "the seed cloud exercises ND"
    for flow in flows:
        assert round_trip(flow) == flow


def test_nd_fields_are_ericsson_oxms():
    from flows.flow import Flow, SetField
    dp = ofproto_protocol.ProtocolDesc(version=ofp.OFP_VERSION)
    mod = ofmsg.flow_mod(dp, Flow(27, 1, (), (SetField("nd_reserved", 0x60000000),
                                              SetField("nd_options_type", 2))), ofp.OFPFC_ADD)
    mod.serialize()
    # OXM header: class 0x1000, field 1 (reserved, 4 bytes) and field 2 (options type, 1 byte)
    assert bytes.fromhex("10000204" + "60000000") in bytes(mod.buf)
    assert bytes.fromhex("10000401" + "02") in bytes(mod.buf)


def test_moves_read_back_with_nxm_headers_decode_to_the_same_flow():
    """OVS answers flow-stats with NXM headers for moves, which os-ken names `*_nxm`; read
    as anything else, every responder flow would be rewritten after a controller restart."""
    from flows.flow import Move
    for src, dst, bits in (("arp_sha", "arp_tha", 48), ("eth_src", "eth_dst", 48),
                           ("ipv6_src", "ipv6_dst", 128), ("arp_spa", "arp_tpa", 32)):
        action = parser.NXActionRegMove(src_field=src + "_nxm", dst_field=dst + "_nxm",
                                        n_bits=bits, src_ofs=0, dst_ofs=0)
        assert ofmsg._decode_action(action) == Move(src, dst, bits)


def test_dhcp_cloud_flows_survive_the_wire():
    from cloud import schema
    from flows import cloudsim
    from tests.conftest import dhcp_raw
    cloud = schema.parse(dhcp_raw(), "<dhcp>")
    flows = [f for n in cloud.nodes for v in [cloudsim.node_view(cloud, n.name)]
             for b in (BR_INT, BR_TUN) for f in desired.bridge_flows(v, b).values()]
    assert any(f.get("udp_dst") == 67 for f in flows)
    for flow in flows:
        assert round_trip(flow) == flow
