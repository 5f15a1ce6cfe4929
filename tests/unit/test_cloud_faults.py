"""What the cloud file's checks say, word for word: tests/golden/cloud_faults.txt.

Each case edits the seed cloud one way (mostly wrong, some right) and records every fault the
schema reports for it, or, for an edit that is valid, the entry it parses to. test_schema*.py
say which fault matters for each mistake; this one says that no message, entry label or
default moved (tests/support/golden.py).
"""
import copy

import pytest

from cloud import schema
from cloud.schema_net import subnet_id
from tests.conftest import ROOT
from tests.support import golden

EXT_ID = "8583f2ba-37da-4fa0-b312-f9b0979a4fea"


def _port(raw, name):
    return next(p for p in raw["ports"] if p.get("name") == name)


def _router(raw, name):
    return next(r for r in raw["routers"] if r["name"] == name)


def _net(raw, name):
    return next(n for n in raw["networks"] if n["name"] == name)


def _set(path, value):
    """An edit: set raw[path...] = value (path items: keys, indexes, or port:/router:/net:
    names)."""
    def edit(raw):
        item = raw
        for key in path[:-1]:
            item = _look(raw, item, key)
        item[path[-1]] = value
    return edit


def _drop(path):
    def edit(raw):
        item = raw
        for key in path[:-1]:
            item = _look(raw, item, key)
        del item[path[-1]]
    return edit


def _look(raw, item, key):
    if isinstance(key, str) and ":" in key:
        kind, name = key.split(":", 1)
        return {"port": _port, "router": _router, "net": _net}[kind](raw, name)
    return item[key]


def _rule(rule):
    """An edit: one more rule in the seed's default group."""
    def edit(raw):
        raw["security_groups"][0]["rules"].append(rule)
    return edit


def _both(*edits):
    def edit(raw):
        for e in edits:
            e(raw)
    return edit


# (what, edit, what to show when valid: a function of the parsed cloud)
CASES = [
    ("not a mapping", lambda raw: raw.clear() or raw.update({"nodes": 5}), None),
    ("unknown top-level key", _set(["colour"], "blue"), None),
    ("data overlaps management", _set(["data", "cidr"], "192.168.10.0/24"), None),
    ("node on the controller's IP", _set([("nodes"), 0, "management_ip"], "192.168.10.1"),
     None),
    ("controller outside management", _set(["management", "controller"], "10.9.9.9"), None),
    ("controller port by default", _drop(["management", "controller_port"]),
     lambda c: c.fabric.controller_port),
    ("controller port out of range", _set(["management", "controller_port"], 70000), None),
    ("management IP twice", _set(["nodes", 2, "management_ip"], "192.168.10.11"), None),
    ("tunnel IP twice", _set(["nodes", 2, "tunnel_ip"], "192.168.100.11"), None),
    ("two DHCP ports on a network", lambda raw: raw["ports"].append(
        {**copy.deepcopy(_port(raw, "dhcp-a")), "name": "dhcp-a2",
         "id": "6a1f3e2d-0000-4d5a-9e8f-7a6b5c4d3e2a", "mac": "fa:16:3e:dd:00:1a",
         "ip": "10.0.0.3"}), None),
    ("DHCP port without an IPv4 address", _set(["port:dhcp-a", "ip"], "fd00::2"), None),
    ("no nodes", _set(["nodes"], []), None),
    ("node name twice", _set(["nodes", 1, "name"], "network"), None),
    ("tunnel IP outside data", _set(["nodes", 1, "tunnel_ip"], "10.9.9.9"), None),
    ("network type", _set(["net:TenantA-Net", "type"], "geneve"), None),
    ("segmentation id 0", _set(["net:TenantA-Net", "segmentation_id"], 0), None),
    ("segmentation id too big for gre", _set(["net:TenantB-Net", "segmentation_id"],
                                             2 ** 32), None),
    ("segmentation id twice", _set(["net:TenantC-Net", "segmentation_id"], 5000), None),
    ("mtu too big", _set(["net:TenantA-Net", "mtu"], 1500), None),
    ("mtu given", _set(["net:TenantA-Net", "mtu"], 1400),
     lambda c: (c.networks[0].mtu, c.networks[1].mtu)),
    ("three subnets", lambda raw: _net(raw, "TenantC-Net")["subnets"].extend(
        [{"cidr": "10.0.3.0/24"}, {"cidr": "fd03::/64"}]), None),
    ("gateway outside", _set(["net:TenantC-Net", "subnets", 0, "gateway_ip"], "10.0.3.1"),
     None),
    ("gateway network address", _set(["net:TenantC-Net", "subnets", 0, "gateway_ip"],
                                     "10.0.2.0"), None),
    ("gateway broadcast", _set(["net:TenantC-Net", "subnets", 0, "gateway_ip"],
                               "10.0.2.255"), None),
    ("dns of the other family", _set(["net:TenantC-Net", "subnets", 0, "dns_nameservers"],
                                     ["fd00::53"]), None),
    ("host route of the other family", _set(
        ["net:TenantC-Net", "subnets", 0, "host_routes"],
        [{"destination": "fd09::/64", "nexthop": "fd00::1"}]), None),
    ("host route not a route", _set(["net:TenantC-Net", "subnets", 0, "host_routes"],
                                    [{"destination": "10.9.0.0/33", "nexthop": "x"}]), None),
    ("host route given", _set(["net:TenantC-Net", "subnets", 0, "host_routes"],
                              [{"destination": "10.9.0.0/16", "nexthop": "10.0.2.9"}]),
     lambda c: c.networks[2].subnets[0].host_routes),
    ("pools that overlap", _set(["net:TenantC-Net", "subnets", 0, "allocation_pools"],
                                ["10.0.2.10-10.0.2.20", "10.0.2.15-10.0.2.30"]), None),
    ("pool backwards", _set(["net:TenantC-Net", "subnets", 0, "allocation_pools"],
                            ["10.0.2.30-10.0.2.20"]), None),
    ("IPv6 modes on IPv4", _set(["net:TenantC-Net", "subnets", 0, "ipv6_address_mode"],
                                "slaac"), None),
    ("IPv6 modes without DHCP", _both(
        _set(["net:TenantA-Net", "subnets", 1, "ipv6_address_mode"], "dhcpv6-stateful"),
        _set(["net:TenantA-Net", "subnets", 1, "enable_dhcp"], False)), None),
    ("IPv6 modes that disagree", _both(
        _set(["net:TenantA-Net", "subnets", 1, "enable_dhcp"], True),
        _set(["net:TenantA-Net", "subnets", 1, "ipv6_address_mode"], "slaac"),
        _set(["net:TenantA-Net", "subnets", 1, "ipv6_ra_mode"], "dhcpv6-stateful")), None),
    ("SLAAC on a /80", _both(
        _set(["net:TenantA-Net", "subnets", 1, "enable_dhcp"], True),
        _set(["net:TenantA-Net", "subnets", 1, "cidr"], "fd00::/80"),
        _set(["net:TenantA-Net", "subnets", 1, "ipv6_address_mode"], "slaac")), None),
    ("DHCP subnet without its port", lambda raw: raw["ports"].remove(_port(raw, "dhcp-a")),
     None),
    ("DHCP port on a network without DHCP", _set(["port:dhcp-a", "network"], "TenantC-Net"),
     None),
    ("device owner unknown", _set(["port:vm-a1", "device_owner"], "baremetal:none"), None),
    ("DHCP port on a compute node", _set(["port:dhcp-a", "node"], "compute1"), None),
    ("router interface unbound", _drop(["port:qr-tenant-a", "node"]), None),
    ("router interface without its router", _drop(["port:qr-tenant-a", "router"]), None),
    ("router interface away from its router", _both(
        _set(["nodes", 1, "role"], "network"), _set(["port:qr-tenant-a", "node"], "compute1")),
     None),
    ("IP outside the network", _set(["port:vm-a2", "ip"], "10.0.9.5"), None),
    ("IP is the gateway", _set(["port:vm-a2", "ip"], "10.0.0.1"), None),
    ("three IPs", _set(["port:vm-a2", "ip"], ["10.0.0.5", "fd00::5", "fd00::7"]), None),
    ("port unknown node", _set(["port:vm-a2", "node"], "compute9"), None),
    ("port network by ambiguous name", lambda raw: raw["networks"].append(
        {**copy.deepcopy(_net(raw, "TenantC-Net")),
         "id": "9d3c1b7e-0000-4c8d-b6e1-3f7a9c2d4e5b", "segmentation_id": 77,
         "subnets": []}), None),
    ("port network reference not a string", _set(["port:vm-a2", "network"], 5), None),
    # security groups and the ports' security attributes
    ("rule protocol unknown", _rule({"direction": "ingress", "protocol": "tcpp"}), None),
    ("rule protocol IPv6 only", _rule({"direction": "ingress", "protocol": "ipv6-icmp"}), None),
    ("rule protocol number", _rule({"direction": "ingress", "protocol": "256"}), None),
    ("rule ports without protocol", _rule({"direction": "ingress", "port_range_min": 22}),
     None),
    ("rule ports of gre", _rule({"direction": "ingress", "protocol": "gre",
                                 "port_range_min": 22}), None),
    ("rule ports of dccp", _rule({"direction": "ingress", "protocol": "dccp",
                                  "port_range_min": 22}), None),
    ("rule port 0", _rule({"direction": "ingress", "protocol": "tcp", "port_range_min": 0}),
     None),
    ("rule ports backwards", _rule({"direction": "ingress", "protocol": "udp",
                                    "port_range_min": 90, "port_range_max": 80}), None),
    ("rule ICMP code without type", _rule({"direction": "ingress", "protocol": "icmp",
                                           "port_range_max": 1}), None),
    ("rule ICMP type 256", _rule({"direction": "ingress", "protocol": "icmp",
                                  "port_range_min": 256}), None),
    ("rule prefix not a CIDR", _rule({"direction": "ingress", "remote_ip_prefix": "10.0/x"}),
     None),
    ("rule prefix of the other ethertype", _rule({"direction": "ingress", "ethertype": "IPv6",
                                                  "remote_ip_prefix": "10.0.0.0/8"}), None),
    ("rule prefix and group", _rule({"direction": "ingress", "remote_ip_prefix": "10.0.0.0/8",
                                     "remote_group": "default"}), None),
    ("rule unknown remote group", _rule({"direction": "ingress", "remote_group": "web"}), None),
    ("rule twice", _rule({"direction": "egress", "ethertype": "IPv4", "protocol": None}), None),
    ("rule direction", _rule({"direction": "inbound"}), None),
    ("rule twice, once with any address", _rule({"direction": "ingress", "ethertype": "IPv4",
                                                 "protocol": "1"}), None),
    ("rule defaults", _rule({"direction": "ingress", "protocol": "TCP", "port_range_min": 22,
                             "remote_ip_prefix": "10.1.101.7/24"}),
     lambda c: c.security_groups[0].rules[-1]),
    ("ICMP under IPv6", _rule({"direction": "ingress", "ethertype": "IPv6", "protocol": "icmp",
                               "port_range_min": 128}),
     lambda c: (c.security_groups[0].rules[-1].number, c.security_groups[0].rules[-1])),
    ("two default groups", lambda raw: raw["security_groups"].append(
        {"name": "default", "id": "0b5e3c1a-0000-4a1b-9c2d-3e4f5a6b7c8d"}), None),
    ("group id twice", lambda raw: raw["security_groups"].extend(
        [{"name": "web", "id": "0b5e3c1a-0000-4a1b-9c2d-3e4f5a6b7c8d"},
         {"name": "db", "id": "0b5e3c1a-0000-4a1b-9c2d-3e4f5a6b7c8d"}]), None),
    ("default group of another project", _set(["port:vm-c1", "project_id"], "c" * 32),
     lambda c: [(g.name, g.meta.project_id, g.id, len(g.rules)) for g in c.security_groups]
     + [c.port("5c8e2a1f-7b3d-4e9a-a2c6-1d4f8b7e3a9c").security_groups]),
    ("port unknown group", _set(["port:vm-a2", "security_groups"], ["web"]), None),
    ("port groups not a list", _set(["port:vm-a2", "security_groups"], "default"), None),
    ("port no groups", _set(["port:vm-a2", "security_groups"], []),
     lambda c: c.port("45957f77-79a1-44cd-8188-1ab410ddce44").security_groups),
    ("port security off with groups", _both(
        _set(["port:vm-a2", "port_security_enabled"], False),
        _set(["port:vm-a2", "security_groups"], ["default"])), None),
    ("port security off, no groups named", _set(["port:vm-a2", "port_security_enabled"], False),
     lambda c: c.port("45957f77-79a1-44cd-8188-1ab410ddce44").security_groups),
    ("port security off", _both(_set(["port:vm-a2", "port_security_enabled"], False),
                                _set(["port:vm-a2", "security_groups"], [])),
     lambda c: c.port("45957f77-79a1-44cd-8188-1ab410ddce44")),
    ("port security off with pairs", _both(
        _set(["port:vm-a2", "port_security_enabled"], False),
        _set(["port:vm-a2", "security_groups"], []),
        _set(["port:vm-a2", "allowed_address_pairs"], [{"ip_address": "10.0.0.99"}])), None),
    ("pair not an address", _set(["port:vm-a2", "allowed_address_pairs"],
                                 [{"ip_address": "10.0.0.999"}]), None),
    ("pair key unknown", _set(["port:vm-a2", "allowed_address_pairs"],
                              [{"ip": "10.0.0.9"}]), None),
    ("pair twice", _set(["port:vm-a2", "allowed_address_pairs"],
                        [{"ip_address": "10.0.0.99"}, {"ip_address": "10.0.0.99"}]), None),
    ("pairs given", _set(["port:vm-a2", "allowed_address_pairs"], [
        {"ip_address": "10.0.0.99"}, {"ip_address": "10.0.0.128/25",
                                      "mac_address": "fa:16:3e:00:00:99"}]),
     lambda c: c.port("45957f77-79a1-44cd-8188-1ab410ddce44").allowed_address_pairs),
    ("pair MAC of another port", _set(["port:vm-a2", "allowed_address_pairs"], [
        {"ip_address": "10.0.0.99", "mac_address": "fa:16:3e:eb:06:2d"}]), None),
    ("pair MAC of another port's pair", _both(
        _set(["port:vm-a2", "allowed_address_pairs"], [
            {"ip_address": "10.0.0.99", "mac_address": "fa:16:3e:00:00:99"}]),
        _set(["port:vm-a3", "allowed_address_pairs"], [
            {"ip_address": "10.0.0.98", "mac_address": "fa:16:3e:00:00:99"}])), None),
    ("pair MAC again in another network", _both(
        _set(["port:vm-a2", "allowed_address_pairs"], [
            {"ip_address": "10.0.0.99", "mac_address": "fa:16:3e:00:00:99"}]),
        _set(["port:vm-b2", "allowed_address_pairs"], [
            {"ip_address": "10.0.0.98", "mac_address": "fa:16:3e:00:00:99"}])),
     lambda c: [p.allowed_address_pairs[0].mac for p in c.ports if p.allowed_address_pairs]),
    ("groups on a DHCP port", _set(["port:dhcp-a", "security_groups"], ["default"]), None),
    ("port security on a router port", _set(["port:qr-tenant-a", "port_security_enabled"],
                                            False), None),
    ("tag too long", _set(["net:TenantA-Net", "tags"], ["t" * 256]), None),
    ("tags not a list", _set(["net:TenantA-Net", "tags"], "red"), None),
    ("project id empty", _set(["net:TenantA-Net", "project_id"], ""), None),
    ("binding profile not a mapping", _set(["port:vm-a1", "binding_profile"], [1]), None),
    ("binding profile not JSON", _set(["port:vm-a1", "binding_profile"], {"a": {1, 2}}),
     None),
    ("binding profile kept as JSON", _set(["port:vm-a1", "binding_profile"],
                                          {"b": 1, "a": [2]}),
     lambda c: c.ports[0].binding_profile),
    ("unbound port", _drop(["port:vm-c1", "node"]),
     lambda c: [(p.name, p.node) for p in c.unbound]),
    ("external overlaps data", _set(["external", "cidr"], "192.168.100.0/24"), None),
    ("external id of a network", _set(["external", "id"],
                                      "84191af8-269f-485a-b394-85d79e53a39a"), None),
    ("external subnet id of a subnet", lambda raw: raw["external"].update(
        subnet_id=subnet_id("84191af8-269f-485a-b394-85d79e53a39a", "10.0.0.0/24")),
     None),
    ("external gateway outside", _set(["external", "gateway_ip"], "10.1.102.1"), None),
    ("external pool over the gateway", _set(["external", "allocation_pools"],
                                            "10.1.101.240-10.1.101.254"), None),
    ("external parsed", lambda raw: raw["external"].update(subnet_name="ext-sub"),
     lambda c: c.external),
    ("router on an unknown node", _set(["router:TenantA-R1", "node"], "compute9"), None),
    ("router on a compute node", _set(["router:TenantA-R1", "node"], "compute1"), None),
    ("router without network nodes", _set(["nodes", 0, "role"], "compute"), None),
    ("router gateway without external", _both(_drop(["external"]),
                                              _drop(["floating_ips"])), None),
    ("router gateway on the external gateway", _set(["router:TenantA-R1", "gateway", "ip"],
                                                    "10.1.101.254"), None),
    ("router gateway ip twice", _set(["router:TenantB-R1", "gateway", "ip"], "10.1.101.240"),
     None),
    ("router gateway port id of a port", _set(["router:TenantB-R1", "gateway", "port_id"],
                                              "974a43e3-90a5-4066-83b1-ac819b29966b"), None),
    ("router gateway MAC of a port", _set(["router:TenantB-R1", "gateway", "mac"],
                                          "fa:16:3e:eb:06:2d"), None),
    ("router without a name or gateway", _both(
        _drop(["router:TenantC-R1", "gateway"]), _drop(["router:TenantC-R1", "name"]),
        _set(["port:qr-tenant-c", "router"], "2f8d4a6c-9e1b-4d3a-8c7f-5b2e9d1a4c6e")),
     lambda c: c.routers[2]),
    ("router interface with two addresses", _set(["port:qr-tenant-a", "ip"],
                                                 ["10.0.0.1", "fd00::1"]), None),
    ("two interfaces on one subnet", lambda raw: raw["ports"].append(
        {**copy.deepcopy(_port(raw, "qr-tenant-c")), "name": "qr-two",
         "id": "7e4a2c9d-0000-4a8e-b3d5-9c7e2a4f6b1d", "mac": "fa:16:3e:1c:00:02",
         "ip": "10.0.2.3"}), None),
    ("interface overlapping the external network", _both(
        _set(["net:TenantC-Net", "subnets", 0, "cidr"], "10.1.101.0/25"),
        _set(["net:TenantC-Net", "subnets", 0, "gateway_ip"], "10.1.101.1"),
        _set(["port:qr-tenant-c", "ip"], "10.1.101.1"),
        _set(["port:vm-c1", "ip"], "10.1.101.4")), None),
    ("floating IP without external", _drop(["external"]), None),
    ("floating IP outside the pool (allowed)", _set(["floating_ips", 0, "ip"], "10.1.101.100"),
     lambda c: c.floating_ips[0].ip),
    ("floating IP on a DHCP port", _set(["floating_ips", 0, "port"], "dhcp-a"), None),
    ("floating IP twice", lambda raw: raw["floating_ips"].append(
        {"id": "beabcafe-0000-43f2-bed9-7597d9dfe051", "ip": "10.1.101.241"}), None),
    ("floating IP on a port without IPv4", _both(
        _set(["port:vm-a2", "ip"], "fd00::5"), _set(["floating_ips", 0, "port"], "vm-a2")),
     None),
    ("floating IP unassociated", _drop(["floating_ips", 0, "port"]),
     lambda c: c.floating_ips),
]


def _outcome(case) -> str:
    what, edit, show = case
    raw = schema.read("clouds/seed.yaml")
    edit(raw)
    try:
        cloud = schema.parse(raw, f"<{what}>")
    except schema.CloudError as exc:
        return str(exc)
    if show is None:
        return "valid (expected a fault)"
    return "valid: " + repr(show(cloud))


def test_a_file_that_is_not_a_cloud_file(tmp_path):
    """What the reader says about a missing file, bad YAML and a key given twice."""
    missing = str(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("nodes: [unclosed\n")
    twice = tmp_path / "twice.yaml"
    twice.write_text("cloud: a\ncloud: b\n")
    messages = []
    for path in (missing, str(bad), str(twice)):
        with pytest.raises(schema.CloudError) as info:
            schema.read(path)
        messages.append(str(info.value).replace(str(tmp_path), "<tmp>"))
    assert messages[0] == "<tmp>/none.yaml: file: cannot read: No such file or directory"
    assert messages[1].startswith("<tmp>/bad.yaml: file: not valid YAML: ")
    assert messages[2].startswith("<tmp>/twice.yaml: file: not valid YAML: ") and \
        "duplicate key 'cloud'" in messages[2] and "line 2" in messages[2]


def test_cases_are_distinct():
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.fixture(autouse=True)
def _at_the_root(monkeypatch):
    """The seed is read as clouds/seed.yaml, the name the recorded texts show."""
    monkeypatch.chdir(ROOT)


def test_every_fault_reads_as_recorded():
    text = "".join(f"### {case[0]}\n{_outcome(case)}\n" for case in CASES)
    golden.check("cloud_faults.txt", text, "the cloud file's faults")


def test_the_seed_parses_as_recorded():
    """The whole parsed seed cloud (tests/golden/seed_cloud.txt): every default the schema
    fills in, every id it derives, every field of the model."""
    import pprint
    cloud = schema.load("clouds/seed.yaml")
    golden.check("seed_cloud.txt", pprint.pformat(cloud, width=100) + "\n",
                 "the parsed seed cloud")
