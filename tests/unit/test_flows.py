"""The flow families and their composition, on the seed cloud (no switch)."""
import pytest

from cloud.naming import BR_INT, BR_PHYSICAL, BR_TUN, tunnel_port_name, parse_tunnel_port_name
from flows import cloudsim, desired, ofctl, pipeline
from flows import tables as t
from flows.flow import OFPVID_NONE, Learn, Output, PopVlan, SetField, match, vlan
from flows.tunnels import desired_tunnels


def all_flows(views):
    for node, view in views.items():
        for bridge, flows in desired.node_flows(view).items():
            for flow in flows.values():
                yield node, bridge, flow


def test_every_flow_carries_the_cookie(views):
    assert {f.cookie for _, _, f in all_flows(views)} == {t.COOKIE}


def test_flows_follow_the_declared_pipeline(views, learning_cloud):
    """Each flow is in a declared table of its bridge, matches only declared fields, uses a
    declared priority and only goes to a declared next table (with and without l2pop, and
    on physical bridges)."""
    learning = {n.name: cloudsim.node_view(learning_cloud, n.name) for n in learning_cloud.nodes}
    for node, bridge, flow in list(all_flows(views)) + list(all_flows(learning)):
        table = pipeline.table(desired.family(bridge), flow.table)
        assert {name for name, _ in flow.match} <= table.fields, (node, bridge, flow)
        assert flow.priority in {p for p, _ in table.priorities}, (node, bridge, flow)
        if flow.goto is not None:
            assert flow.goto in table.next, (node, bridge, flow)


def test_every_declared_table_has_its_last_flow(views):
    """Each table ends in its declared last flow, or has none declared (its flows cover
    every frame)."""
    flows = desired.node_flows(views["compute1"]) | desired.node_flows(views["network"])
    assert "br-ex" not in desired.node_flows(views["compute1"])  # network nodes only
    flows[BR_PHYSICAL] = flows["br-eth1"]
    for table in pipeline.PIPELINE:
        entries = [f for f in flows[table.bridge].values() if f.table == table.id]
        assert entries, f"{table.bridge} table {table.id} {table.name} is empty"
        if table.miss is not None:
            assert table.miss_flow() in entries, table.name


@pytest.mark.parametrize("build, fault", [
    (lambda: pipeline.INT[t.ACCEPTED_EGRESS_TRAFFIC_NORMAL].flow(t.PRIORITY_LOCAL_UNICAST,
                                            match(tunnel_id=5000)), "matches on tunnel_id"),
    (lambda: pipeline.TUN[t.FLOOD_TO_TUN].flow(7), "priority 7 is not declared"),
    (lambda: pipeline.TUN[t.UCAST_TO_TUN].flow(t.PRIORITY_L2POP_UCAST, goto=t.ARP_RESPONDER),
     "goes to table 21"),
    (lambda: pipeline.INT[t.MAC_SPOOF].flow(t.PRIORITY_MISS, goto=t.LOCAL_RESPONDER),
     r"must be its declared last flow \(drop\)"),
    (lambda: pipeline.TUN[t.LEARN_FROM_TUN].miss_flow(), "declares no last flow"),
])
def test_a_flow_breaking_its_table_fails_at_once(build, fault):
    with pytest.raises(pipeline.PipelineError, match=fault):
        build()


def test_tunnel_port_names():
    assert tunnel_port_name("vxlan", "192.168.100.12") == "vxlan-c0a8640c"
    assert tunnel_port_name("gre", "192.168.100.10") == "gre-c0a8640a"
    assert parse_tunnel_port_name("gre-c0a8640a")[1].exploded == "192.168.100.10"
    assert parse_tunnel_port_name("patch-int") is None


def test_full_mesh_of_tunnels_without_l2pop(learning_cloud):
    names = sorted(desired_tunnels(learning_cloud, "compute1"))
    assert names == ["gre-c0a8640a", "gre-c0a8640c", "vxlan-c0a8640a", "vxlan-c0a8640c"]
    assert len(desired_tunnels(learning_cloud, "network")) == 4


def test_l2pop_tunnels_only_between_nodes_sharing_a_network(seed_cloud, uneven_cloud):
    # the seed: both networks on both computes and (DHCP) on the network node
    assert sorted(desired_tunnels(seed_cloud, "compute1")) == [
        "gre-c0a8640a", "gre-c0a8640c", "vxlan-c0a8640a", "vxlan-c0a8640c"]
    # uneven: compute1 shares A (vxlan) with compute2/3 and B (gre) with compute4 only
    assert sorted(desired_tunnels(uneven_cloud, "compute1")) == [
        "gre-c0a8640e", "vxlan-c0a8640c", "vxlan-c0a8640d"]
    assert desired_tunnels(uneven_cloud, "compute5") == {}, "TenantC is alone on compute5"


def test_vm_ports_are_access_ports(views):
    view = views["compute1"]
    flows = desired.bridge_flows(view, BR_INT).values()
    for port in view.ports:
        ingress = [f for f in flows if f.table == t.INT_LOCAL_SWITCHING
                   and f.get("in_port") == port.ofport]
        assert len(ingress) == 1, "exactly one way in: untagged"
        assert ingress[0].get("vlan_vid") == OFPVID_NONE
        assert SetField("vlan_vid", vlan(port.vlan)) in ingress[0].actions


def test_local_vlans_per_node(views):
    vlans = {n.network.name: n.vlan for n in views["compute1"].networks}
    assert vlans == {"TenantA-Net": 1, "TenantB-Net": 2, "TenantD-Net": 3, "TenantF-Net": 4}
    # the network node hosts the DHCP ports and the routers' interfaces; one pool of local
    # VLANs serves every network type, and they differ between nodes
    vlans = {n.network.name: n.vlan for n in views["network"].networks}
    assert vlans == {"TenantA-Net": 1, "TenantB-Net": 2, "TenantC-Net": 3, "TenantD-Net": 4}


def test_tun_to_lv_tables_by_type(views):
    flows = desired.bridge_flows(views["compute1"], BR_TUN).values()
    gre = {f.get("tunnel_id") for f in flows if f.table == t.GRE_TUN_TO_LV and f.match}
    vxlan = {f.get("tunnel_id") for f in flows if f.table == t.VXLAN_TUN_TO_LV and f.match}
    assert gre == {5001} and vxlan == {5000}


def test_flood_lists_only_tunnels_of_the_network_type(views):
    view = views["compute1"]
    tunnels = {tun.ofport: tun.spec.type for tun in view.tunnels}
    flows = desired.bridge_flows(view, BR_TUN).values()
    for net in view.tunnelled:
        (flood,) = [f for f in flows if f.table == t.FLOOD_TO_TUN
                    and f.priority == t.PRIORITY_FLOOD_TO_TUN
                    and f.get("vlan_vid") == vlan(net.vlan)]
        outs = [a.port for a in flood.actions if isinstance(a, Output)]
        assert outs and {tunnels[p] for p in outs} == {net.network.type}
        assert flood.actions[:2] == (PopVlan(), SetField("tunnel_id",
                                                         net.network.segmentation_id))


def test_node_without_ports_has_only_the_skeleton(uneven_cloud):
    flows = desired.node_flows(cloudsim.node_view(uneven_cloud, "network"))
    per_port_or_vlan = [f for f in flows[BR_INT].values()
                        if {"in_port", "vlan_vid", "eth_dst", "eth_src"} & {k for k, _ in f.match}]
    assert per_port_or_vlan == []
    tun = flows[BR_TUN].values()
    assert not [f for f in tun if f.get("vlan_vid") is not None or f.get("tunnel_id")]
    for table in (t.GRE_TUN_TO_LV, t.VXLAN_TUN_TO_LV, t.FLOOD_TO_TUN):
        assert [f.is_drop for f in tun if f.table == table] == [True]


def test_unplugged_port_has_no_flows(seed_cloud):
    ports = cloudsim.number_ports(seed_cloud, "compute1")
    a1 = next(p for p in seed_cloud.ports if p.name == "vm-a1")
    del ports.int_ports[a1.device]
    view = cloudsim.node_view(seed_cloud, "compute1", ports)
    text = "\n".join(ofctl.render(f) for f in desired.bridge_flows(view, BR_INT).values())
    assert a1.mac not in text
    assert "dl_vlan=1" in text, "the network is still present through vm-a2"


def test_br_tun_reads_like_seed_001(learning_cloud):
    """Seed 001's dump: flood per VLAN with set tun_id; learn into 20; tun_id -> VLAN."""
    view = cloudsim.node_view(learning_cloud, "compute1")
    text = "\n".join(ofctl.render(f) for f in desired.bridge_flows(view, BR_TUN).values())
    assert "table=4, priority=1,tun_id=0x1388 actions=push_vlan:0x8100,set_field:4097->vlan_vid," \
           "goto_table:10" in text
    assert "table=10, priority=1 actions=learn(table=20,hard_timeout=300,priority=1," in text
    assert "NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[]," \
           "load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:NXM_OF_IN_PORT[]" in text
    assert "table=22, priority=1,dl_vlan=1 actions=pop_vlan,set_field:0x1388->tun_id," \
           "output:" in text
    assert "table=2, priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 " \
           "actions=goto_table:22" in text


def test_every_flow_renders_and_parses_back(views, learning_cloud):
    """Every flow of the seed, with and without l2pop (the learn action), renders to what
    ovs-ofctl prints and parses back to itself."""
    learning = {n.name: cloudsim.node_view(learning_cloud, n.name) for n in learning_cloud.nodes}
    flows = [f for _, _, f in list(all_flows(views)) + list(all_flows(learning))]
    assert any(isinstance(a, Learn) for f in flows for a in f.actions)
    for flow in flows:
        assert ofctl.parse_dump_line(ofctl.render(flow)) == flow


def test_parse_rejects_foreign_vocabulary():
    with pytest.raises(ofctl.UnknownFlow):
        ofctl.parse_dump_line("cookie=0x1, table=0, priority=1,ip,nw_tos=4 actions=drop")
    with pytest.raises(ofctl.UnknownFlow):  # an immediate zone: the firewall's are in reg6
        ofctl.parse_dump_line("cookie=0x1, table=0, priority=1,ip actions=ct(commit,zone=5)")
    with pytest.raises(ofctl.UnknownFlow):
        ofctl.parse_dump_line("cookie=0x1, table=0, priority=1,ip "
                              "actions=ct(commit,zone=NXM_NX_REG6[0..15],nat)")
    with pytest.raises(ofctl.UnknownFlow):
        ofctl.parse_dump_line("cookie=0x1, table=0, priority=1,ip "
                              "actions=ct(commit,zone=NXM_NX_REG6[0..15],"
                              "exec(set_field:0x1->ct_label))")
    with pytest.raises(ofctl.UnknownFlow):  # a port without a protocol that has ports
        ofctl.parse_dump_line("cookie=0x1, table=0, priority=1,ip,tp_dst=80 actions=drop")
    with pytest.raises(ofctl.UnknownFlow):
        ofctl.parse_dump_line("cookie=0x1, table=0, priority=1 actions=CONTROLLER:65535")


def test_duplicate_flow_for_one_entry_is_refused():
    from flows.flow import Flow, match
    a = Flow(0, 1, match(in_port=1), goto=2)
    b = Flow(0, 1, match(in_port=1), goto=3)
    with pytest.raises(desired.DuplicateFlow):
        desired.index([a, b])


def test_parse_learned_flow_as_ovs_dumps_it():
    """What the learn action writes into UCAST_TO_TUN, as ovs-ofctl shows it."""
    from flows.flow import Flow, PopVlan, SetField, Output, match
    line = ("cookie=0x6f7665726c617901, table=20, hard_timeout=300, priority=1,"
            "vlan_tci=0x0001/0x0fff,dl_dst=fa:16:3e:49:00:b5 actions=load:0->NXM_OF_VLAN_TCI[],"
            "load:0x1388->NXM_NX_TUN_ID[],output:5")
    assert ofctl.parse_dump_line(line) == Flow(
        20, 1, match(vlan_vid=(1, 0xFFF), eth_dst="fa:16:3e:49:00:b5"),
        (PopVlan(), SetField("tunnel_id", 5000), Output(5)), cookie=t.COOKIE_LEARNED)


def test_l2pop_tables_20_21_22(seed_cloud, views):
    """compute1: every port of compute2 in table 20 (to compute2's tunnel of the network's
    type) and, by IP, in table 21 answering requests only; table 10 learns nothing."""
    from flows.flow import Move, OFPP_IN_PORT, SetField
    view = views["compute1"]
    flows = desired.bridge_flows(view, BR_TUN).values()
    tunnels = {tun.ofport: tun.spec for tun in view.tunnels}
    present = {n.network.id for n in view.tunnelled}   # (VLAN and flat: no l2pop)
    remote = [p for p in seed_cloud.ports if p.node != "compute1" and p.network_id in present]
    ucast = {f.get("eth_dst"): f for f in flows
             if f.table == t.UCAST_TO_TUN and f.priority == t.PRIORITY_L2POP_UCAST}
    assert set(ucast) == {p.mac for p in remote}
    for port in remote:
        out = [a.port for a in ucast[port.mac].actions if isinstance(a, Output)]
        spec = tunnels[out[0]]
        assert (spec.remote_node, spec.type) == (port.node,
                                                 seed_cloud.network(port.network_id).type)
    arp = [f for f in flows if f.table == t.ARP_RESPONDER and f.get("eth_type") == 0x0806]
    assert sorted(f.get("arp_tpa") for f in arp) == sorted(str(p.ips[0]) for p in remote)
    assert all(f.get("arp_op") == 1 for f in arp), "requests only"
    a3 = next(p for p in remote if p.name == "vm-a3")
    (answer,) = [f for f in arp if f.get("arp_tpa") == "10.0.0.6"
                 and f.get("vlan_vid") == vlan(1)]
    assert answer.actions[0] == SetField("arp_op", 2)
    assert Move("eth_src", "eth_dst", 48) in answer.actions
    assert SetField("arp_sha", a3.mac) in answer.actions
    assert answer.actions[-1] == Output(OFPP_IN_PORT)
    (learn,) = [f for f in flows if f.table == t.LEARN_FROM_TUN]
    assert learn.actions == (Output(view.patch_int),)


def test_l2pop_flood_list_is_the_nodes_hosting_the_network(uneven_cloud):
    view = cloudsim.node_view(uneven_cloud, "compute1")
    names = {tun.ofport: tun.spec.remote_node for tun in view.tunnels}
    floods = {}  # segmentation id (set by the flow) -> nodes it floods to
    for f in desired.bridge_flows(view, BR_TUN).values():
        if f.table == t.FLOOD_TO_TUN and f.match:
            seg = next(a.value for a in f.actions if isinstance(a, SetField))
            floods[seg] = sorted(names[a.port] for a in f.actions if isinstance(a, Output))
    assert floods == {5000: ["compute2", "compute3"], 5001: ["compute4"]}


def test_l2pop_floods_a_network_only_to_the_nodes_that_host_it(seed_cloud, views):
    """TenantC-Net (VXLAN 5002) is on compute2 and the network node only; compute2 also has
    a VXLAN tunnel to compute1 (TenantA-Net): TenantC's flood goes to the network node
    alone, while TenantA's goes to both."""
    view = views["compute2"]
    ofport = {tun.spec.remote_node: tun.ofport for tun in view.tunnels
              if tun.spec.type == "vxlan"}
    assert set(ofport) == {"network", "compute1"}
    floods = {f.get("vlan_vid"): f for f in desired.bridge_flows(view, BR_TUN).values()
              if f.table == t.FLOOD_TO_TUN and f.priority == t.PRIORITY_FLOOD_TO_TUN}
    vlans = {n.network.name: vlan(n.vlan) for n in view.tunnelled}
    outputs = {name: {a.port for a in floods[v].actions if isinstance(a, Output)}
               for name, v in vlans.items()}
    assert outputs["TenantC-Net"] == {ofport["network"]}
    assert outputs["TenantA-Net"] == {ofport["network"], ofport["compute1"]}


def test_the_firewall_vocabulary_renders_as_ovs_ofctl_reads_it():
    """Rendered, then parsed back (as from a dump) to the same flow; the text is what
    ovs-ofctl prints for these shapes (checked live in tests/pipeline/test_firewall_trace)."""
    from tests.unit.test_ofmsg import firewall_vocabulary
    texts = []
    for flow in firewall_vocabulary():
        text = ofctl.render(flow)
        assert ofctl.parse_dump_line(text) == flow, text
        texts.append(text.split(", ", 1)[1])
    assert texts[0] == ("table=72, priority=50,ct_mark=0,ct_state=+est-rel+rpl+trk,ct_zone=1,"
                        "reg5=0x3 actions=goto_table:94")
    assert "nw_src=10.0.0.0/24" in texts[1] and "ct(table=72,zone=NXM_NX_REG6[0..15])" in texts[1]
    assert "ct(commit,zone=NXM_NX_REG6[0..15],exec(set_field:0x1->ct_mark))" in texts[2]
    assert "set_field:0x3->reg5,set_field:0x1->reg6" in texts[3]
    assert "ct_clear" in texts[4]
    assert texts[5].startswith("table=82, priority=71,tcp,") and "tp_dst=0x40/0xffc0" in texts[5]
    assert "conjunction(19,2/2),conjunction(27,2/2)" in texts[5]
    assert "icmp,icmp_code=0,icmp_type=8" in texts[7]
    assert "udp6," in texts[8] and "icmp6," in texts[9] and "ipv6_src=fd00::/64" in texts[9]


def test_ct_state_text_and_value():
    from flows.flow import CT_EST, CT_NEW, CT_RPL, CT_TRK, ct_state
    assert ct_state("+new-est+trk") == (CT_NEW | CT_TRK, CT_NEW | CT_EST | CT_TRK)
    assert ct_state("-trk") == (0, CT_TRK)
    assert ofctl.render_ct_state(*ct_state("+trk+est-rel+rpl")) == "+est-rel+rpl+trk"
    assert ct_state("+rpl") == (CT_RPL, CT_RPL)
