"""The security group operations on a document (tier 1, without the API): what each
refuses in Neutron's words, what a duplicate rule is (the same rule however it is written),
what a delete takes with it, and a port's security attributes on create and update."""
import copy
import json

import pytest

from cloud import ops_sg, schema
from cloud.errors import Refused
from cloud.meta import DEFAULT_PROJECT
from cloud.schema_sg import default_group_id
from tests.conftest import SEED

DEFAULT = default_group_id(DEFAULT_PROJECT)


@pytest.fixture
def doc():
    raw = json.loads(json.dumps(schema.read(SEED)))
    cloud = schema.parse(raw, SEED)
    return schema.with_ids(raw, cloud)


def refused(status, text, op, *args):
    with pytest.raises(Refused) as info:
        op(*args)
    assert info.value.status == status and text in info.value.message, info.value.message


def new_group(doc, **attrs):
    doc, gid = ops_sg.create_security_group(doc, {"name": "web"} | attrs)
    return gid


def test_a_new_group_has_neutrons_two_egress_rules_and_its_projects_default(doc):
    gid = new_group(doc, project_id="c" * 32, description="d", stateful=False)
    group = ops_sg.group_entry(doc, gid)
    assert [(r["direction"], r["ethertype"]) for r in group["rules"]] == [
        ("egress", "IPv4"), ("egress", "IPv6")]
    assert (group["description"], group["stateful"], group["project_id"]) == ("d", False,
                                                                             "c" * 32)
    assert ops_sg.group_entry(doc, default_group_id("c" * 32))["name"] == "default"
    refused(409, "Default security group already exists.", ops_sg.create_security_group,
            doc, {"name": "default"})


def test_updates_refused_and_taken(doc):
    gid = new_group(doc)
    refused(409, "Updating default security group not allowed.",
            ops_sg.update_security_group, doc, DEFAULT, {"name": "mine"})
    ops_sg.update_security_group(doc, DEFAULT, {"name": "default", "description": "ours"})
    assert ops_sg.group_entry(doc, DEFAULT)["description"] == "ours"
    refused(409, "Default security group already exists.", ops_sg.update_security_group,
            doc, gid, {"name": "default"})
    ops_sg.update_security_group(doc, gid, {"name": "web2", "stateful": False,
                                            "project_id": "d" * 32})
    group = ops_sg.group_entry(doc, gid)
    assert (group["name"], group["stateful"], group.get("project_id")) == ("web2", False, None)
    doc["ports"][0]["security_groups"] = [gid]
    refused(409, f"Security Group {gid} in use: stateful cannot change.",
            ops_sg.update_security_group, doc, gid, {"stateful": True})
    ops_sg.update_security_group(doc, gid, {"stateful": False, "name": "web3"})
    refused(404, "Security group nope does not exist", ops_sg.update_security_group, doc,
            "nope", {})


def test_deletes_refused_and_what_goes_with_them(doc):
    web, db = new_group(doc), new_group(doc, name="db")
    doc, rule = ops_sg.create_security_group_rule(doc, {
        "security_group_id": db, "direction": "ingress", "remote_group_id": web})
    refused(409, "Insufficient rights for removing default security group.",
            ops_sg.delete_security_group, doc, DEFAULT)
    doc["ports"][0]["security_groups"] = [web]
    refused(409, f"Security Group {web} in use.", ops_sg.delete_security_group, doc, web)
    doc["ports"][0]["security_groups"] = [DEFAULT]
    before = len(ops_sg.group_entry(doc, db)["rules"])
    ops_sg.delete_security_group(doc, web)
    assert len(ops_sg.group_entry(doc, db)["rules"]) == before - 1, "its remote rule went"
    refused(404, f"Security group rule {rule} does not exist",
            ops_sg.delete_security_group_rule, doc, rule)
    refused(404, f"Security group {web} does not exist", ops_sg.group_entry, doc, web)


@pytest.mark.parametrize("first, second, same", [
    ({"protocol": "tcp"}, {"protocol": "6"}, True),
    ({"protocol": "TCP"}, {"protocol": "tcp"}, True),
    ({"protocol": "icmp", "ethertype": "IPv6"}, {"protocol": "58", "ethertype": "IPv6"}, True),
    ({"protocol": "any"}, {}, True),
    ({"protocol": "tcp", "port_range_min": 22}, {"protocol": "tcp", "port_range_min": 22,
                                                 "port_range_max": 22}, True),
    ({"protocol": "tcp", "port_range_max": 22}, {"protocol": "tcp", "port_range_min": 22,
                                                 "port_range_max": 22}, True),
    ({"protocol": "icmp", "port_range_min": 8}, {"protocol": "icmp", "port_range_min": 8,
                                                 "port_range_max": 8}, False),
    ({"remote_ip_prefix": "0.0.0.0/0"}, {}, True),
    ({"remote_ip_prefix": "::/0", "ethertype": "IPv6"}, {"ethertype": "IPv6"}, True),
    ({"remote_ip_prefix": "10.0.0.5/24"}, {"remote_ip_prefix": "10.0.0.0/24"}, True),
    ({"ethertype": "IPv4"}, {}, True),
    ({"ethertype": "IPv6"}, {}, False),
    ({"direction": "egress", "protocol": "tcp"}, {"protocol": "tcp"}, False),
    ({"protocol": "tcp"}, {"protocol": "udp"}, False),
    ({"protocol": "tcp", "port_range_min": 1, "port_range_max": 2},
     {"protocol": "tcp", "port_range_min": 1, "port_range_max": 3}, False),
    ({"remote_ip_prefix": "10.0.0.0/24"}, {"remote_ip_prefix": "10.0.1.0/24"}, False),
])
def test_a_rule_given_twice_is_the_same_rule_however_written(doc, first, second, same):
    gid = new_group(doc)
    base = {"security_group_id": gid, "direction": "ingress"}
    doc, rid = ops_sg.create_security_group_rule(doc, base | first)
    if same:
        refused(409, f"Security group rule already exists. Rule id is {rid}.",
                ops_sg.create_security_group_rule, copy.deepcopy(doc), base | second)
    else:
        ops_sg.create_security_group_rule(doc, base | second)


def test_a_rule_is_written_as_the_cloud_file_has_it(doc):
    gid = new_group(doc)
    doc, rid = ops_sg.create_security_group_rule(doc, {
        "security_group_id": gid, "direction": "ingress", "protocol": "tcp",
        "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0",
        "description": "ssh", "ethertype": "IPv4"})
    _, rule = ops_sg.rule_entry(doc, rid)
    assert rule == {"id": rid, "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
                    "port_range_min": 22, "port_range_max": 22, "description": "ssh"}
    doc, rid = ops_sg.create_security_group_rule(doc, {
        "security_group_id": gid, "direction": "egress", "remote_group_id": DEFAULT,
        "port_range_min": None})
    assert ops_sg.rule_entry(doc, rid)[1] == {"id": rid, "direction": "egress",
                                              "remote_group": DEFAULT}
    refused(404, "Security group nope does not exist", ops_sg.create_security_group_rule, doc,
            {"security_group_id": gid, "direction": "ingress", "remote_group_id": "nope"})


def test_a_ports_security_on_create_and_update(doc):
    port = {"id": "p", "network": doc["networks"][0]["id"]}
    ops_sg.set_port_security(doc, port, {"port_security_enabled": False}, creating=True)
    assert (port["security_groups"], port["port_security_enabled"]) == ([], False)
    vm = doc["ports"][0]   # vm-a1: in its project's default group, by default
    refused(409, "Port has security group associated", ops_sg.set_port_security, doc,
            dict(vm), {"port_security_enabled": False})
    refused(404, "Security group nope does not exist", ops_sg.set_port_security, doc,
            dict(vm), {"security_groups": ["nope"]})
    ops_sg.set_port_security(doc, vm, {"security_groups": [DEFAULT, DEFAULT],
                                       "allowed_address_pairs": [{"ip_address": "10.0.0.9"}]})
    assert (vm["security_groups"], vm["allowed_address_pairs"]) == (
        [DEFAULT], [{"ip_address": "10.0.0.9"}])
    refused(409, "Port Security must be enabled in order to have allowed address pairs",
            ops_sg.set_port_security, doc, dict(vm), {"security_groups": [],
                                                      "port_security_enabled": False})
    ops_sg.set_port_security(doc, vm, {"security_groups": [], "allowed_address_pairs": [],
                                       "port_security_enabled": False})
    assert "allowed_address_pairs" not in vm and vm["port_security_enabled"] is False
