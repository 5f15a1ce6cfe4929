"""Security groups and port security through the computed tables of every node, with the
simulator's connection tracker: what the default group lets through, rules by protocol,
port, ICMP type, prefix and remote group, state (replies, a stream across rule changes, a
cut connection), allowed address pairs, port security off, and every attack a VM can try.
(tests/pipeline/test_trace.py checks the same verdicts against ofproto/trace.)"""
import pytest

from cloud import schema
from cloud.naming import BR_INT
from flows import cloudsim
from flows import tables as t
from flows.flow import BROADCAST_MAC, CT_EST, CT_TRK
from flows.simulator import Packet

RULES = ["default"]


def cloud_with(raw, rules=(), **ports):
    """The seed with more rules in its default group (or in groups named in `rules` as
    (group, rule)) and ports edited: name -> {key: value}."""
    groups = {g["name"]: g for g in raw["security_groups"]}
    for rule in rules:
        group, rule = rule if isinstance(rule, tuple) else ("default", rule)
        groups.setdefault(group, {"name": group, "rules": []})
        if group not in [g["name"] for g in raw["security_groups"]]:
            raw["security_groups"].append(groups[group])
        groups[group]["rules"].append(rule)
    for name, edits in ports.items():
        port = next(p for p in raw["ports"] if p.get("name") == name)
        port.update(edits)
    return schema.parse(raw, "<test>")


class Net:
    """A cloud in the simulator, and packets sent from its VMs by name."""

    def __init__(self, cloud, sim=None):
        self.cloud = cloud
        self.ports = {p.name: p for p in cloud.ports}
        self.sim = sim or cloudsim.build(cloud)

    def changed(self, cloud):
        """The same connections (conntrack lives on), the new cloud's flows."""
        sim = cloudsim.build(cloud)
        sim.conntrack = self.sim.conntrack
        return Net(cloud, sim)

    def send(self, src, dst=None, **fields):
        port = self.ports[src]
        to = self.ports.get(dst) if dst else None
        fields = {"eth_src": port.mac, "eth_dst": to.mac if to else BROADCAST_MAC,
                  "eth_type": 0x0800} | fields
        return self.sim.send_from(port.node, port.device, Packet.make(**fields))

    def inject(self, node, tunnel, **fields):
        return self.sim.inject(node, "br-tun", tunnel, Packet.make(**fields))

    def reaches(self, src, dst, **fields) -> bool:
        return self.ports[dst].device in self.send(src, dst, **fields).delivered_to()


def icmp(src, dst, kind=8, ident=1):
    return dict(ip_proto=1, icmpv4_type=kind, icmpv4_code=0, ipv4_src=src, ipv4_dst=dst,
                icmp_id=ident)


def tcp(src, dst, sport, dport, flags=0x02):
    return dict(ip_proto=6, ipv4_src=src, ipv4_dst=dst, tcp_src=sport, tcp_dst=dport,
                tcp_flags=flags)


def udp(src, dst, sport, dport):
    return dict(ip_proto=17, ipv4_src=src, ipv4_dst=dst, udp_src=sport, udp_dst=dport)


A1, A2, A3 = "10.0.0.4", "10.0.0.5", "10.0.0.6"
OUTSIDE = "192.0.2.9"


def from_outside(net, dst, **fields):
    """A packet for `dst` arriving on compute1 from compute2's VXLAN tunnel (as if routed in
    from outside: a source no group has)."""
    to = net.ports[dst]
    return net.inject(to.node, "vxlan-c0a8640c", eth_src="fa:16:3e:1a:00:01", eth_dst=to.mac,
                      eth_type=0x0800, tunnel_id=5000, **fields)


def dropped_at(result):
    last = result.hits[-1].flow
    return last.table


# --------------------------------------------------------------------------- default group
def test_default_group_members_reach_each_other_and_replies_come_back(seed_raw):
    net = Net(cloud_with(seed_raw))
    assert net.reaches("vm-a1", "vm-a2", **tcp(A1, A2, 40000, 22))          # same host
    assert net.reaches("vm-a2", "vm-a1", **tcp(A2, A1, 22, 40000, 0x12))   # its reply
    assert net.reaches("vm-a1", "vm-a3", **tcp(A1, A3, 40001, 80))          # across hosts
    assert net.reaches("vm-a3", "vm-a1", **tcp(A3, A1, 80, 40001, 0x12))
    (conn,) = [c for c in net.sim.tracker("compute2").entries() if c.orig[4] == 80]
    assert conn.zone == 1 and conn.mark == 0


def test_default_group_refuses_others_but_its_ping_rule(seed_raw):
    net = Net(cloud_with(seed_raw))
    ssh = from_outside(net, "vm-a1", **tcp(OUTSIDE, A1, 40000, 22))
    assert ssh.deliveries == [] and dropped_at(ssh) == t.DROPPED_TRAFFIC
    assert [h.flow.priority for h in ssh.hits if h.flow.table == t.RULES_INGRESS] == \
        [t.PRIORITY_FW_NO_RULE]
    ping = from_outside(net, "vm-a1", **icmp(OUTSIDE, A1))
    assert [d.port for d in ping.deliveries] == [net.ports["vm-a1"].device]


def test_a_port_without_groups_sends_and_receives_no_ip(seed_raw):
    net = Net(cloud_with(seed_raw, **{"vm-a2": {"security_groups": []}}))
    assert not net.reaches("vm-a1", "vm-a2", **icmp(A1, A2))
    assert not net.reaches("vm-a2", "vm-a1", **icmp(A2, A1))
    arp = dict(eth_type=0x0806, arp_op=1, arp_spa=A2, arp_tpa=A1,
               arp_sha=net.ports["vm-a2"].mac, arp_tha="00:00:00:00:00:00")
    assert net.send("vm-a2", **arp).deliveries, "ARP is not the groups' business"


# ------------------------------------------------------------------------------- the rules
@pytest.mark.parametrize("rule, allowed, refused", [
    ({"direction": "ingress", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22},
     tcp(OUTSIDE, A1, 1, 22), tcp(OUTSIDE, A1, 1, 23)),
    ({"direction": "ingress", "protocol": "udp", "port_range_min": 1000,
      "port_range_max": 1999}, udp(OUTSIDE, A1, 1, 1999), udp(OUTSIDE, A1, 1, 2000)),
    ({"direction": "ingress", "protocol": "udp", "port_range_min": 1000,
      "port_range_max": 1999}, udp(OUTSIDE, A1, 1, 1000), udp(OUTSIDE, A1, 1, 999)),
    ({"direction": "ingress", "protocol": "6"}, tcp(OUTSIDE, A1, 1, 5), udp(OUTSIDE, A1, 1, 5)),
    ({"direction": "ingress", "protocol": "tcp", "remote_ip_prefix": "192.0.2.0/24"},
     tcp(OUTSIDE, A1, 1, 5), tcp("198.51.100.1", A1, 1, 5)),
])
def test_ingress_rules_by_protocol_port_and_prefix(seed_raw, rule, allowed, refused):
    before = Net(cloud_with(seed_raw))
    assert not from_outside(before, "vm-a1", **allowed).deliveries
    net = Net(cloud_with(seed_raw, [rule]))
    assert from_outside(net, "vm-a1", **allowed).deliveries
    assert not from_outside(net, "vm-a1", **refused).deliveries


def test_icmp_rules_by_type(seed_raw, ):
    # the seed's ping rule lets every ICMP in: a group of its own instead
    raw = seed_raw
    raw["security_groups"][0]["rules"].pop()   # the seed's "any ICMP" rule
    net = Net(cloud_with(raw, [{"direction": "ingress", "protocol": "icmp",
                                "port_range_min": 8}]))
    assert from_outside(net, "vm-a1", **icmp(OUTSIDE, A1, kind=8)).deliveries
    assert not from_outside(net, "vm-a1", **icmp(OUTSIDE, A1, kind=13)).deliveries


def test_egress_rules_once_the_default_egress_is_gone(seed_raw):
    raw = seed_raw
    rules = raw["security_groups"][0]["rules"]
    rules[:] = [r for r in rules if r["direction"] != "egress"]
    rules.append({"direction": "egress", "protocol": "tcp", "port_range_min": 80,
                  "port_range_max": 80})
    net = Net(schema.parse(raw, "<test>"))
    assert net.reaches("vm-a1", "vm-a3", **tcp(A1, A3, 40000, 80))
    refused = net.send("vm-a1", "vm-a3", **tcp(A1, A3, 40000, 81))
    assert refused.deliveries == [] and refused.transmissions == [], "never left compute1"
    assert [h.flow.table for h in refused.hits][-2:] == [t.RULES_EGRESS, t.DROPPED_TRAFFIC]


def test_remote_group_rules_admit_members_only(seed_raw):
    """vm-a1 in group web (HTTP from group clients only); vm-a2 in clients, vm-a3 not."""
    clients = ("clients", {"direction": "egress", "ethertype": "IPv4"})
    web = ("web", {"direction": "ingress", "protocol": "tcp", "port_range_min": 80,
                   "port_range_max": 80, "remote_group": "clients"})
    web_out = ("web", {"direction": "egress", "ethertype": "IPv4"})
    net = Net(cloud_with(seed_raw, [clients, web, web_out],
                         **{"vm-a1": {"security_groups": ["web"]},
                            "vm-a2": {"security_groups": ["clients"]}}))
    assert net.reaches("vm-a2", "vm-a1", **tcp(A2, A1, 40000, 80))
    assert not net.reaches("vm-a2", "vm-a1", **tcp(A2, A1, 40000, 81))
    assert not net.reaches("vm-a3", "vm-a1", **tcp(A3, A1, 40000, 80))


def test_remote_group_flows_grow_with_ports_plus_rules(seed_raw):
    """Clause 1 is per (network, member address), clause 2 per (port, rule): adding a member
    adds one flow per conjunction state on each network, not one per port and rule."""
    def count(cloud):
        flows = cloudsim.build(cloud).bridge("compute1", BR_INT).tables
        return sum(1 for table in (t.RULES_EGRESS, t.RULES_INGRESS)
                   for f in flows.get(table, {}).values() if f.get("reg6") is not None)
    before = count(cloud_with(seed_raw))
    raw = seed_raw
    raw["ports"].append({"id": "11111111-2222-4333-8444-555555555555", "name": "vm-a4",
                         "network": "TenantA-Net", "node": "compute2",
                         "mac": "fa:16:3e:00:00:a4", "ip": "10.0.0.7"})
    after = count(schema.parse(raw, "<test>"))
    networks_on_compute1 = 4   # (its groups' members are every network's: filtered there)
    assert after - before == networks_on_compute1 * 2, "one member flow per state per network"


# --------------------------------------------------------------------------------- state
def test_a_stream_survives_unrelated_rule_changes_and_stops_with_its_rule(seed_raw):
    """A TCP stream from outside to vm-a1's port 8080 (allowed by its own rule); rules added
    and removed beside it change nothing; removing its rule cuts it: the next packet either
    way marks the connection (ct_mark 1) and is dropped, as is everything after."""
    raw = seed_raw
    allow = {"direction": "ingress", "protocol": "tcp", "port_range_min": 8080,
             "port_range_max": 8080}
    net = Net(cloud_with(raw, [allow]))
    a1 = net.ports["vm-a1"]
    syn = from_outside(net, "vm-a1", **tcp(OUTSIDE, A1, 50000, 8080))
    assert syn.deliveries
    reply = net.send("vm-a1", None, eth_dst="fa:16:3e:1a:00:01",
                     **tcp(A1, OUTSIDE, 8080, 50000, 0x12))
    assert reply.transmissions, "the reply leaves for the router"
    for other in ({"direction": "ingress", "protocol": "udp", "port_range_min": 53,
                   "port_range_max": 53},
                  {"direction": "ingress", "protocol": "tcp", "remote_ip_prefix": "10.9.0.0/16"}):
        raw["security_groups"][0]["rules"].append(other)
        net = net.changed(schema.parse(raw, "<test>"))
        data = from_outside(net, "vm-a1", **tcp(OUTSIDE, A1, 50000, 8080, 0x10))
        assert [d.port for d in data.deliveries] == [a1.device]
        raw["security_groups"][0]["rules"].remove(other)
        net = net.changed(schema.parse(raw, "<test>"))
    raw["security_groups"][0]["rules"].remove(allow)
    net = net.changed(schema.parse(raw, "<test>"))
    cut = from_outside(net, "vm-a1", **tcp(OUTSIDE, A1, 50000, 8080, 0x10))
    assert cut.deliveries == []
    conn = next(c for c in net.sim.tracker("compute1").entries() if c.orig[4] == 8080)
    assert conn.mark == t.CT_MARK_CUT
    back = net.send("vm-a1", None, eth_dst="fa:16:3e:1a:00:01",
                    **tcp(A1, OUTSIDE, 8080, 50000, 0x10))
    assert back.transmissions == [], "replies of a cut connection are dropped too"
    raw["security_groups"][0]["rules"].append(allow)   # the rule back: new connections pass
    net = net.changed(schema.parse(raw, "<test>"))
    assert from_outside(net, "vm-a1", **tcp(OUTSIDE, A1, 50001, 8080)).deliveries


def test_an_invalid_packet_is_dropped(seed_raw):
    """A TCP segment without SYN that belongs to no connection (conntrack: +inv)."""
    net = Net(cloud_with(seed_raw))
    result = net.send("vm-a1", "vm-a2", **tcp(A1, A2, 1, 2, flags=0x10))
    assert result.deliveries == []
    assert [(h.flow.table, h.flow.priority) for h in result.hits][-2:] == [
        (t.RULES_EGRESS, t.PRIORITY_FW_STATE), (t.DROPPED_TRAFFIC, 0)]


# ------------------------------------------------------------------ port security, attacks
@pytest.mark.parametrize("what, fields", [
    ("spoofed IPv4 source", icmp("10.0.0.99", A2)),
    ("another VM's IPv4", icmp(A3, A2)),
    ("spoofed IPv6 source", dict(eth_type=0x86DD, ip_proto=58, icmpv6_type=128,
                                 ipv6_src="fd00::99", ipv6_dst="fd00::5")),
    ("rogue DHCP server", udp(A1, "255.255.255.255", 67, 68)),
    ("rogue DHCPv6 server", dict(eth_type=0x86DD, ip_proto=17, udp_src=547, udp_dst=546,
                                 ipv6_src="fe80::f816:3eff:feeb:62d", ipv6_dst="ff02::1:2")),
    ("router advertisement", dict(eth_type=0x86DD, ip_proto=58, icmpv6_type=134,
                                  ipv6_src="fe80::f816:3eff:feeb:62d", ipv6_dst="ff02::1")),
    ("another ethertype", dict(eth_type=0x88B5)),
])
def test_attacks_from_a_vm_are_dropped_in_base_egress(seed_raw, what, fields):
    net = Net(cloud_with(seed_raw))
    dst = "vm-a2" if fields.get("ipv4_dst") == A2 or fields.get("ipv6_dst") == "fd00::5" \
        or fields.get("eth_type") == 0x88B5 else None
    result = net.send("vm-a1", dst, **fields)
    assert result.deliveries == [] and result.transmissions == [], what
    assert [h.flow.table for h in result.hits][-2:] == [t.BASE_EGRESS, t.DROPPED_TRAFFIC]


def test_the_vms_own_dhcp_requests_pass(seed_raw):
    net = Net(cloud_with(seed_raw))
    for source in ("0.0.0.0", A1):
        result = net.send("vm-a1", None, **udp(source, "255.255.255.255", 68, 67))
        assert {x.remote_node for x in result.transmissions} == {"network"}


def test_allowed_address_pairs_move_a_vip(seed_raw):
    """10.0.0.100 (VRRP-style) may be sent from by vm-a1 and vm-a2, not by vm-a3; its ARP
    announcement passes from them only."""
    pair = {"allowed_address_pairs": [{"ip_address": "10.0.0.100"}]}
    net = Net(cloud_with(seed_raw, **{"vm-a1": pair, "vm-a2": pair}))
    for src in ("vm-a1", "vm-a2"):
        assert net.reaches(src, "vm-a3", **icmp("10.0.0.100", A3, ident=7))
    assert not net.reaches("vm-a3", "vm-a1", **icmp("10.0.0.100", A1, ident=8))
    garp = dict(eth_type=0x0806, arp_op=2, arp_spa="10.0.0.100", arp_tpa="10.0.0.100",
                arp_tha="ff:ff:ff:ff:ff:ff")
    for src, passes in (("vm-a2", True), ("vm-a3", False)):
        sent = net.send(src, None, arp_sha=net.ports[src].mac, **garp)
        assert bool(sent.deliveries) is passes, src


def test_a_cidr_pair_with_its_own_mac(seed_raw):
    pair = {"allowed_address_pairs": [{"ip_address": "10.0.0.128/25",
                                       "mac_address": "fa:16:3e:00:00:99"}]}
    net = Net(cloud_with(seed_raw, **{"vm-a1": pair}))
    assert net.reaches("vm-a1", "vm-a2", eth_src="fa:16:3e:00:00:99",
                       **icmp("10.0.0.200", A2))
    assert not net.reaches("vm-a1", "vm-a2", eth_src="fa:16:3e:00:00:99",
                           **icmp(A1, A2, ident=3)), "its own address needs its own MAC"
    assert not net.reaches("vm-a1", "vm-a2", **icmp("10.0.0.200", A2, ident=4))


def test_port_security_off_lets_anything_through(seed_raw):
    net = Net(cloud_with(seed_raw, **{"vm-a2": {"port_security_enabled": False}}))
    assert net.reaches("vm-a2", "vm-a1", **icmp("10.0.0.99", A1))   # vm-a1 admits any ICMP
    spoofed = net.send("vm-a2", "vm-a1", eth_src="fa:16:3e:66:66:66", **icmp(A2, A1))
    assert spoofed.deliveries, "no MAC check either"
    assert from_outside(net, "vm-a2", **tcp(OUTSIDE, A2, 1, 22)).deliveries
    assert net.sim.tracker("compute1").entries() == [] or all(
        c.orig[2] != A2 for c in net.sim.tracker("compute1").entries()), \
        "vm-a2's own traffic is never tracked"


def test_state_is_per_network_zone(seed_raw):
    """vm-a1 and vm-b1 have the same address in two networks: their connections live in
    their networks' zones (local VLANs 1 and 2 on compute1)."""
    net = Net(cloud_with(seed_raw))
    assert net.reaches("vm-a1", "vm-a2", **tcp(A1, A2, 40000, 22))
    assert net.reaches("vm-b1", "vm-b2", **tcp(A1, A2, 40000, 22))
    zones = sorted(c.zone for c in net.sim.tracker("compute1").entries())
    assert zones == [1, 2]
    state = net.send("vm-a2", "vm-a1", **tcp(A2, A1, 22, 40000, 0x12)).deliveries[0]
    assert state.packet.fields["ct_state"] & (CT_EST | CT_TRK) == CT_EST | CT_TRK


def test_egress_rules_by_prefix_and_icmpv6(seed_raw):
    """Egress limited to TCP towards 10.0.0.4/31 (vm-a1 and vm-a2) and ICMPv6 echo
    requests: the remote end of an egress rule is the destination."""
    raw = seed_raw
    rules = raw["security_groups"][0]["rules"]
    rules[:] = [r for r in rules if r["direction"] != "egress"]
    rules += [{"direction": "egress", "protocol": "tcp", "remote_ip_prefix": "10.0.0.4/31"},
              {"direction": "egress", "ethertype": "IPv6", "protocol": "icmp",
               "port_range_min": 128}]
    net = Net(schema.parse(raw, "<test>"))
    assert net.reaches("vm-a1", "vm-a2", **tcp(A1, A2, 40000, 5))      # 10.0.0.5: in it
    assert not net.reaches("vm-a1", "vm-a3", **tcp(A1, A3, 40000, 5))  # 10.0.0.6: not
    echo6 = dict(eth_type=0x86DD, ip_proto=58, icmpv6_type=128, ipv6_src="fd00::4",
                 ipv6_dst="fd00::6", icmp_id=9)
    assert net.reaches("vm-a1", "vm-a3", **echo6)
    assert not net.reaches("vm-a1", "vm-a3", **dict(echo6, icmpv6_type=139))


def test_egress_remote_group_rules_reach_members_only(seed_raw):
    """vm-a1 only in `restricted`, which may send TCP to members of `servers` (vm-a2) and
    nothing else: the remote group is the destination on egress."""
    raw = seed_raw
    raw["security_groups"] += [
        {"name": "servers", "rules": [{"direction": "ingress", "protocol": "tcp"}]},
        {"name": "restricted", "rules": [{"direction": "egress", "protocol": "tcp",
                                          "remote_group": "servers"}]}]
    net = Net(cloud_with(raw, **{"vm-a1": {"security_groups": ["restricted"]},
                                 "vm-a2": {"security_groups": ["servers"]},
                                 "vm-a3": {"security_groups": ["servers", "default"]}}))
    assert net.reaches("vm-a1", "vm-a2", **tcp(A1, A2, 40000, 80))
    assert net.reaches("vm-a1", "vm-a3", **tcp(A1, A3, 40000, 80))
    assert not net.reaches("vm-a1", "qr-tenant-a", **tcp(A1, OUTSIDE, 40001, 80)), \
        "through the router to an address no member has"
    assert net.reaches("vm-a3", "qr-tenant-a", **tcp(A3, OUTSIDE, 40001, 80)), \
        "(vm-a3's default group lets it out)"
    raw["ports"][1]["security_groups"] = ["default"]   # vm-a2 leaves `servers`
    net = Net(schema.parse(raw, "<test>"))
    assert not net.reaches("vm-a1", "vm-a2", **tcp(A1, A2, 40002, 80))
    assert net.reaches("vm-a1", "vm-a3", **tcp(A1, A3, 40003, 80))
