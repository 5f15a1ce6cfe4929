"""The send path's direct encoding (controller/wire.py) is byte-for-byte os-ken's (tier 1).

Every flow the seed cloud's nodes get, in every command the send path uses, encoded both ways.
"""
import pytest
from os_ken.ofproto import ofproto_protocol
from os_ken.ofproto import ofproto_v1_3 as ofp

from cloud.naming import BR_EX, BR_INT, BR_TUN
from controller import wire
from flows import cloudsim, desired
from flows.flow import Flow, Learn, SetField, match

COMMANDS = (ofp.OFPFC_ADD, ofp.OFPFC_MODIFY_STRICT, ofp.OFPFC_DELETE_STRICT)


def both(flow, command, xid=0x1234, bundle=7):
    dp = ofproto_protocol.ProtocolDesc(version=ofp.OFP_VERSION)
    return (wire.bundle_add(xid, bundle, flow, command),
            wire.reference_bundle_add(dp, xid, bundle, flow, command))


@pytest.mark.parametrize("l2pop", [True, False])
@pytest.mark.parametrize("bridge", [BR_INT, BR_TUN, BR_EX])
def test_every_desired_flow_encodes_as_os_ken_does(views, learning_cloud, bridge, l2pop):
    """With and without L2 population (the learn action only appears without)."""
    if not l2pop:
        views = {n.name: cloudsim.node_view(learning_cloud, n.name) for n in learning_cloud.nodes}
    flows = [f for v in views.values() if bridge in desired.bridges_of(v.node)
             for f in desired.bridge_flows(v, bridge).values()]
    assert l2pop or bridge != BR_TUN or any(isinstance(a, Learn) for f in flows
                                            for a in f.actions)
    assert flows
    for flow in flows:
        for command in COMMANDS:
            fast, reference = both(flow, command)
            assert fast == reference, (flow, command)


@pytest.mark.parametrize("bridge", [BR_INT, BR_TUN, BR_EX])
def test_every_desired_match_is_canonical(views, bridge):
    """The families that build their matches directly (the hot ones: a port's unicast and
    ARP answer on every node of its network) build what match() would: the diff compares
    them with the switch's, decoded through match()."""
    flows = [f for v in views.values() if bridge in desired.bridges_of(v.node)
             for f in desired.bridge_flows(v, bridge).values()]
    for flow in flows:
        assert flow.match == match(**dict(flow.match)), flow


def test_ericsson_fields_and_masks_encode_as_os_ken_does():
    flow = Flow(27, 1, (("eth_dst", ("33:33:00:00:00:00", "ff:ff:00:00:00:00")),),
                (SetField("nd_reserved", 0x60000000), SetField("nd_options_type", 2)))
    fast, reference = both(flow, ofp.OFPFC_ADD)
    assert fast == reference


def test_a_different_flow_encodes_differently():
    """(the comparison above is not vacuous: one changed value changes the bytes)"""
    a = Flow(20, 2, (("eth_dst", "fa:16:3e:00:00:01"),), (SetField("tunnel_id", 5000),))
    b = Flow(20, 2, (("eth_dst", "fa:16:3e:00:00:02"),), (SetField("tunnel_id", 5000),))
    assert both(a, ofp.OFPFC_ADD)[0] != both(b, ofp.OFPFC_ADD)[0]


def test_the_firewall_vocabulary_encodes_as_os_ken_does():
    from tests.unit.test_ofmsg import firewall_vocabulary
    for flow in firewall_vocabulary():
        for command in COMMANDS:
            fast, reference = both(flow, command)
            assert fast == reference, (flow, command)


def test_flows_near_the_fixed_layouts_encode_as_os_ken_does():
    """The two fixed layouts (controller/wire_fast.py) take their shapes exactly; a flow of
    their table and priority that differs anywhere goes the general way, right either way."""
    import dataclasses
    from controller import wire_fast
    from flows import br_tun
    from flows.flow import Output, PopVlan
    ucast = br_tun.unicast_to_tun(3, 5000, "fa:16:3e:00:00:0a", 7)
    arp = br_tun.arp_responder(3, "10.0.0.9", "fa:16:3e:00:00:0a")
    near = [dataclasses.replace(ucast, actions=ucast.actions + (Output(9),)),
            dataclasses.replace(ucast, actions=(PopVlan(),) + ucast.actions[2:]),
            dataclasses.replace(ucast, goto=21), dataclasses.replace(ucast, cookie=0x42),
            dataclasses.replace(arp, actions=arp.actions[:-1] + (Output(4),)),
            dataclasses.replace(arp, actions=arp.actions[:2] + arp.actions[1:2]
                                + arp.actions[3:]),
            dataclasses.replace(arp, match=arp.match[:1] + (("arp_tpa", "10.0.0.10"),)
                                + arp.match[2:])]
    assert wire_fast.encode(1, 1, ucast) is not None and wire_fast.encode(1, 1, arp)
    assert sum(wire_fast.encode(1, 1, f) is None for f in near) == 5
    for flow in [ucast, arp] + near:
        for command in COMMANDS:
            fast, reference = both(flow, command)
            assert fast == reference, (flow, command)
