"""The security group rules' pieces, one by one: port ranges as value/mask pairs, Neutron's
priority offsets, each rule's match fields, the remote end on each side, conjunction ids."""
import ipaddress

import pytest

from cloud.security import EGRESS, INGRESS, IPV4, IPV6, Rule, SecurityGroup
from flows import fw_rules


@pytest.mark.parametrize("low, high, masks", [
    (80, 80, [80]),
    (1000, 1999, [(1000, 0xFFF8), (1008, 0xFFF0), (1024, 0xFE00), (1536, 0xFF00),
                  (1792, 0xFF80), (1920, 0xFFC0), (1984, 0xFFF0)]),
    (1, 65535, [1, (2, 0xFFFE), (4, 0xFFFC), (8, 0xFFF8), (16, 0xFFF0), (32, 0xFFE0),
                (64, 0xFFC0), (128, 0xFF80), (256, 0xFF00), (512, 0xFE00), (1024, 0xFC00),
                (2048, 0xF800), (4096, 0xF000), (8192, 0xE000), (16384, 0xC000),
                (32768, 0x8000)]),
    (65535, 65535, [65535]),
])
def test_port_ranges_become_the_fewest_value_mask_pairs(low, high, masks):
    assert fw_rules.port_masks(low, high) == masks
    covered = {p for p in range(65536) for m in masks
               if (p == m if isinstance(m, int) else p & m[1] == m[0])}
    assert covered == set(range(low, high + 1))


@pytest.mark.parametrize("rule, offset, fields", [
    (Rule("r", INGRESS), 0, [{"eth_type": 0x0800}]),
    (Rule("r", INGRESS, IPV6), 0, [{"eth_type": 0x86DD}]),
    (Rule("r", INGRESS, protocol="icmp"), 1, [{"eth_type": 0x0800, "ip_proto": 1}]),
    (Rule("r", INGRESS, protocol="icmp", port_range_min=8), 2,
     [{"eth_type": 0x0800, "ip_proto": 1, "icmpv4_type": 8}]),
    (Rule("r", INGRESS, protocol="icmp", port_range_min=3, port_range_max=1), 3,
     [{"eth_type": 0x0800, "ip_proto": 1, "icmpv4_type": 3, "icmpv4_code": 1}]),
    (Rule("r", INGRESS, IPV6, protocol="icmp", port_range_min=128, port_range_max=0), 3,
     [{"eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 128, "icmpv6_code": 0}]),
    (Rule("r", INGRESS, IPV6, protocol="ipv6-icmp"), 1, [{"eth_type": 0x86DD,
                                                          "ip_proto": 58}]),
    (Rule("r", INGRESS, protocol="tcp"), 3, [{"eth_type": 0x0800, "ip_proto": 6}]),
    (Rule("r", INGRESS, protocol="udp", port_range_min=53, port_range_max=53), 3,
     [{"eth_type": 0x0800, "ip_proto": 17, "udp_dst": 53}]),
    (Rule("r", INGRESS, protocol="132", port_range_min=4, port_range_max=5), 3,
     [{"eth_type": 0x0800, "ip_proto": 132, "sctp_dst": (4, 0xFFFE)}]),
    (Rule("r", INGRESS, protocol="gre"), 3, [{"eth_type": 0x0800, "ip_proto": 47}]),
])
def test_a_rule_matches_as_neutrons_does(rule, offset, fields):
    assert fw_rules.offset(rule) == offset
    assert fw_rules.rule_fields(rule) == fields


def test_the_remote_end_is_the_destination_on_egress_and_the_source_on_ingress():
    net = ipaddress.ip_network
    assert fw_rules.remote_fields(EGRESS, net("10.0.0.0/24")) == {
        "ipv4_dst": ("10.0.0.0", "255.255.255.0")}
    assert fw_rules.remote_fields(INGRESS, net("10.0.0.5/32")) == {"ipv4_src": "10.0.0.5"}
    assert fw_rules.remote_fields(INGRESS, net("fd00::/64")) == {
        "ipv6_src": ("fd00::", "ffff:ffff:ffff:ffff::")}
    assert fw_rules.remote_fields(EGRESS, net("0.0.0.0/0")) == {}
    assert fw_rules.remote_fields(EGRESS, net("0.0.0.0/0"), "fa:16:3e:00:00:01") == {
        "eth_dst": "fa:16:3e:00:00:01"}
    assert fw_rules.remote_fields(INGRESS, net("::/0"), "fa:16:3e:00:00:01") == {
        "eth_src": "fa:16:3e:00:00:01"}


def test_conjunction_ids_come_in_blocks_of_eight_per_remote_group_key(monkeypatch):
    a = SecurityGroup("a", "a", (Rule("1", INGRESS, remote_group_id="a"),
                                 Rule("2", INGRESS, protocol="tcp", remote_group_id="a"),
                                 Rule("3", EGRESS, IPV6, remote_group_id="b")))
    b = SecurityGroup("b", "b", (Rule("4", INGRESS, remote_group_id="a"),
                                 Rule("5", INGRESS)))
    blocks = fw_rules.conjunction_blocks((a, b))
    assert set(blocks) == {("a", "a", INGRESS, IPV4), ("a", "b", EGRESS, IPV6),
                           ("b", "a", INGRESS, IPV4)}
    assert len(set(blocks.values())) == 3
    assert all(v % 8 == 0 and 8 <= v <= 8 * fw_rules.BLOCKS for v in blocks.values())
    base = blocks[("a", "a", INGRESS, IPV4)]
    ids = [fw_rules.conj_id(blocks, a, r, s) for r in a.rules[:2]
           for s in (fw_rules.EST, fw_rules.NEW)]
    assert ids == [base, base + 1, base + 6, base + 7], "offsets 0 and 3; +1 for +new-est"
    alone = fw_rules.conjunction_blocks((a,))   # b's key gone: a's keep their places
    assert alone == {k: v for k, v in blocks.items() if k[0] == "a"}
    monkeypatch.setattr(fw_rules, "BLOCKS", 3)   # every key collides: the next free place
    fw_rules.conjunction_blocks.cache_clear()
    assert sorted(fw_rules.conjunction_blocks((a, b)).values()) == [8, 16, 24]
    fw_rules.conjunction_blocks.cache_clear()
