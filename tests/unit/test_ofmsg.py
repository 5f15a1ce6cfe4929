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


def firewall_vocabulary():
    """One flow of each shape the firewall uses: conntrack fields and actions, registers,
    conjunctions, TCP/UDP/ICMP fields with masks."""
    from flows.flow import (Conjunction, Ct, CtClear, Flow, Output, SetField, ct_state, match)
    return [
        Flow(72, 50, match(ct_state=ct_state("+est-rel+rpl+trk"), ct_zone=1, ct_mark=0, reg5=3),
             goto=94),
        Flow(71, 65, match(eth_type=0x0800, reg5=3, ipv4_src=("10.0.0.0", "255.255.255.0")),
             (Ct("reg6", table=72),)),
        Flow(72, 40, match(eth_type=0x86DD, reg5=3, ct_state=ct_state("+est")),
             (Ct("reg6", commit=True, mark=1),)),
        Flow(60, 100, match(in_port=3), (SetField("reg5", 3), SetField("reg6", 1)), goto=71),
        Flow(71, 110, match(ct_state=ct_state("+trk")), (CtClear(),), goto=93),
        Flow(82, 71, match(eth_type=0x0800, ip_proto=6, reg6=1, tcp_dst=(0x40, 0xFFC0),
                           tcp_src=22), (Conjunction(19, 2, 2), Conjunction(27, 2, 2))),
        Flow(82, 71, match(conj_id=19, eth_type=0x0800, reg5=3),
             (SetField("reg7", 19), Ct("reg6", commit=True), Output(3))),
        Flow(82, 72, match(eth_type=0x0800, ip_proto=1, icmpv4_type=8, icmpv4_code=0,
                           ipv4_dst="10.0.0.5"), (Conjunction(21, 1, 2),)),
        Flow(71, 70, match(eth_type=0x86DD, ip_proto=17, udp_src=547, udp_dst=546), goto=93),
        Flow(82, 77, match(eth_type=0x86DD, ip_proto=58, icmpv6_type=128, icmpv6_code=0,
                           ipv6_src=("fd00::", "ffff:ffff:ffff:ffff::")), goto=94),
    ]


def test_the_firewall_vocabulary_survives_the_wire():
    for flow in firewall_vocabulary():
        assert round_trip(flow) == flow


def test_a_conjunction_clause_is_zero_based_on_the_wire():
    """ovs-ofctl writes conjunction(19,1/2); the NX action carries clause 0."""
    from flows.flow import Conjunction
    encoded = ofmsg.encode_action(Conjunction(19, 1, 2))
    assert (encoded.clause, encoded.n_clauses, encoded.id) == (0, 2, 19)


def test_ct_forms_outside_the_firewalls_are_not_decoded():
    from os_ken.ofproto import nicira_ext
    immediate_zone = parser.NXActionCT(flags=0, zone_src="", zone_ofs_nbits=5,
                                       recirc_table=72, alg=0, actions=[])
    with_alg = parser.NXActionCT(flags=1, zone_src="reg6", zone_ofs_nbits=ofmsg.CT_ZONE_BITS,
                                 recirc_table=255, alg=21, actions=[])
    label = parser.NXActionCT(flags=1, zone_src="reg6",
                              zone_ofs_nbits=nicira_ext.ofs_nbits(0, 15), recirc_table=255,
                              alg=0, actions=[parser.OFPActionSetField(ct_label=1)])
    for action in (immediate_zone, with_alg, label):
        with pytest.raises(ofmsg.UndecodableFlow):
            ofmsg._decode_action(action)
