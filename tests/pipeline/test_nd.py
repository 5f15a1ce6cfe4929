"""IPv6 neighbour discovery through the computed tables of the (dual-stack) seed cloud: with
L2 population a solicitation for any known address is answered on the asker's node, duplicate
address detection is never answered, a VM advertises only its own addresses."""

from cloud.model import Port
from cloud.naming import BR_TUN
from flows import cloudsim, neigh
from flows import tables as t
from flows.flow import (ICMPV6_NA, ICMPV6_NS, ND_NA_OVERRIDE, ND_NA_ROUTER, ND_NA_SOLICITED,
                        ND_OPT_TLL)
from flows.simulator import Packet


def solicited_node(target: str) -> tuple[str, str]:
    """(multicast IPv6, multicast MAC) of a target's solicited-node group."""
    import ipaddress
    low = ipaddress.ip_address(target).packed[-3:]
    ip = ipaddress.ip_address(bytes.fromhex("ff0200000000000000000001ff") + low)
    return str(ip), "33:33:ff:" + ":".join("%02x" % b for b in low)


def ns(port: Port, target: str, src: str | None = None) -> Packet:
    group_ip, group_mac = solicited_node(target)
    return Packet.make(eth_src=port.mac, eth_dst=group_mac, eth_type=0x86DD, ip_proto=58,
                       icmpv6_type=ICMPV6_NS, ipv6_src=src or neigh.ipv6s(port)[0],
                       ipv6_dst=group_ip, ipv6_nd_target=target, ipv6_nd_sll=port.mac,
                       nd_reserved=0, nd_options_type=1)


def na(port: Port, target: str, to: Port) -> Packet:
    return Packet.make(eth_src=port.mac, eth_dst=to.mac, eth_type=0x86DD, ip_proto=58,
                       icmpv6_type=ICMPV6_NA, ipv6_src=target, ipv6_dst=neigh.ipv6s(to)[0],
                       ipv6_nd_target=target, nd_reserved=ND_NA_SOLICITED, nd_options_type=2)


def assert_is_advertisement(packet: Packet, asker: Port, owner: Port, target: str):
    f = packet.fields
    assert (f["icmpv6_type"], f["nd_reserved"], f["nd_options_type"]) == \
        (ICMPV6_NA, ND_NA_SOLICITED | ND_NA_OVERRIDE, ND_OPT_TLL)
    assert (f["eth_src"], f["eth_dst"]) == (owner.mac, asker.mac)
    assert (f["ipv6_src"], f["ipv6_dst"]) == (target, neigh.ipv6s(asker)[0])
    assert (f["ipv6_nd_target"], f["ipv6_nd_tll"]) == (target, owner.mac)
    assert f["vlan_tci"] == 0


def test_solicitation_for_a_remote_vm_is_answered_on_the_askers_node(sim, ports):
    a1, a3 = ports["vm-a1"], ports["vm-a3"]
    result = sim.send_from(a1.node, a1.device, ns(a1, "fd00::6"))
    answers = [d for d in result.deliveries if d.port == a1.device]
    assert len(answers) == 1, "one advertisement back to the asker"
    assert_is_advertisement(answers[0].packet, a1, a3, "fd00::6")
    assert result.transmissions == [], "nothing crosses the data network"
    assert t.ND_ADVERT in result.tables(a1.node, BR_TUN)


def test_solicitation_for_a_local_vm_is_answered_in_br_int(sim, ports):
    a1, a2 = ports["vm-a1"], ports["vm-a2"]
    result = sim.send_from(a1.node, a1.device, ns(a1, "fd00::5"))
    assert result.delivered_to() == [a1.device], "vm-a2 never sees it"
    assert_is_advertisement(result.deliveries[0].packet, a1, a2, "fd00::5")
    assert result.transmissions == [] and result.tables(a1.node, BR_TUN) == []
    assert result.hits[-1].flow.table == t.ND_ADVERT


def test_same_address_in_the_other_network_gets_its_own_owner(sim, ports):
    b1, b3 = ports["vm-b1"], ports["vm-b3"]
    result = sim.send_from(b1.node, b1.device, ns(b1, "fd00::6"))
    (answer,) = [d for d in result.deliveries if d.port == b1.device]
    assert_is_advertisement(answer.packet, b1, b3, "fd00::6")


def test_duplicate_address_detection_is_never_answered(sim, ports):
    """A probe from :: for a3's address: flooded to the network (a3 may defend), no answer."""
    a1, a2 = ports["vm-a1"], ports["vm-a2"]
    result = sim.send_from(a1.node, a1.device, ns(a1, "fd00::6", src="::"))
    assert result.delivered_to() == sorted([a2.device, ports["vm-a3"].device,
                                            ports["dhcp-a"].device, ports["qr-tenant-a"].device])
    assert all(d.packet.fields["icmpv6_type"] == ICMPV6_NS for d in result.deliveries)
    assert {x.remote_node for x in result.transmissions} == {"compute2", "network"}


def test_without_l2pop_solicitations_are_flooded(learning_cloud):
    sim = cloudsim.build(learning_cloud)
    a1 = next(p for p in learning_cloud.ports if p.name == "vm-a1")
    result = sim.send_from(a1.node, a1.device, ns(a1, "fd00::6"))
    assert a1.device not in result.delivered_to()
    assert all(d.packet.fields["icmpv6_type"] == ICMPV6_NS for d in result.deliveries)
    assert result.transmissions


def test_a_vm_advertises_only_its_own_addresses(sim, ports):
    a1, a2 = ports["vm-a1"], ports["vm-a2"]
    own = sim.send_from(a2.node, a2.device, na(a2, "fd00::5", to=a1))
    assert own.delivered_to() == [a1.device]
    link_local = sim.send_from(a2.node, a2.device, na(a2, neigh.link_local(a2.mac), to=a1))
    assert link_local.delivered_to() == [a1.device]
    spoofed = sim.send_from(a2.node, a2.device, na(a2, "fd00::6", to=a1))
    assert spoofed.deliveries == [] and spoofed.transmissions == []
    assert (spoofed.hits[-1].flow.table, spoofed.hits[-1].flow.priority) == \
        (t.ARP_SPOOF, t.PRIORITY_NA_SPOOFED)


def test_router_ports_advertise_the_router_flag(ports):
    import dataclasses
    router = dataclasses.replace(ports["vm-a3"], device_owner="network:router_interface")
    assert neigh.na_flags(router) == ND_NA_ROUTER | ND_NA_SOLICITED | ND_NA_OVERRIDE
    assert neigh.na_flags(ports["vm-a3"]) & ND_NA_ROUTER == 0


def test_link_local_is_eui64_of_the_mac():
    assert neigh.link_local("fa:16:3e:eb:06:2d") == "fe80::f816:3eff:feeb:62d"

