"""Security groups, their rules, and the security attributes of ports (see cloud/ops.py for
the contract).

    security-group-create       POST   /security-groups {"security_group": {name, description,
                                                          stateful, project_id}}
    security-group-update       PUT    /security-groups/ID {name, description, stateful}
    security-group-delete       DELETE /security-groups/ID
    security-group-rule-create  POST   /security-group-rules {"security_group_rule":
                                         {security_group_id, direction, ethertype, protocol,
                                          port_range_min, port_range_max, remote_ip_prefix,
                                          remote_group_id, description}}
    security-group-rule-delete  DELETE /security-group-rules/ID

As in Neutron: every project has its `default` group (created on first use: written into the
document when a project first has a network, a port or a group), which cannot be deleted or
renamed, nor created a second time; a new group starts with Neutron's two egress rules (any
IPv4, any IPv6); a group still used by a port cannot be deleted, and the rules of other
groups naming it as their remote group go with it; a rule given twice is a conflict. What a
rule may say is checked by the schema (cloud/schema_sg.py), as for the cloud file.
"""
from __future__ import annotations

import uuid

from cloud.errors import Refused, not_emulated
from cloud.meta import DEFAULT_PROJECT
from cloud.ops import Doc, ensure_default_group, groups, required, set_common
from cloud.schema_sg import rule_key
from cloud.security import DEFAULT_GROUP, EGRESS, IPV4, IPV6

SECURITY_ATTRS = {"security_groups", "port_security_enabled", "allowed_address_pairs"}
RULE_KEYS = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max",
             "remote_ip_prefix", "description")


def _not_found(kind: str, ident: str) -> Refused:
    return Refused(404, f"{kind} {ident} does not exist")


def group_entry(doc: Doc, ident: str) -> dict:
    """A group of the document (every project's default group is written there: see
    ensure_default_group and schema.with_ids)."""
    for group in doc.get("security_groups", []):
        if group.get("id") == ident:
            return group
    raise _not_found("Security group", ident)


# --------------------------------------------------------------------------------- groups
def create_security_group(doc: Doc, attrs: dict) -> tuple[Doc, str]:
    project = attrs.get("project_id", DEFAULT_PROJECT)
    ensure_default_group(doc, project)
    if attrs.get("name") == DEFAULT_GROUP:
        raise Refused(409, "Default security group already exists.")
    ident = str(uuid.uuid4())
    group = {"id": ident, "name": ""}
    set_common(group, attrs)
    if "stateful" in attrs:
        group["stateful"] = attrs["stateful"]
    group["rules"] = [{"id": str(uuid.uuid4()), "direction": EGRESS, "ethertype": kind}
                      for kind in (IPV4, IPV6)]
    groups(doc).append(group)
    return doc, ident


def update_security_group(doc: Doc, ident: str, attrs: dict) -> Doc:
    group = group_entry(doc, ident)
    if group.get("name") == DEFAULT_GROUP and attrs.get("name", DEFAULT_GROUP) != DEFAULT_GROUP:
        raise Refused(409, "Updating default security group not allowed.")
    if attrs.get("name") == DEFAULT_GROUP and group.get("name") != DEFAULT_GROUP:
        raise Refused(409, "Default security group already exists.")
    set_common(group, {k: v for k, v in attrs.items() if k != "project_id"})
    if "stateful" in attrs:
        if attrs["stateful"] != group.get("stateful", True) and any(
                ident in p.get("security_groups", ()) for p in doc.get("ports", [])):
            raise Refused(409, f"Security Group {ident} in use: stateful cannot change.")
        group["stateful"] = attrs["stateful"]
    return doc


def delete_security_group(doc: Doc, ident: str) -> Doc:
    group = group_entry(doc, ident)
    if group.get("name") == DEFAULT_GROUP:
        raise Refused(409, "Insufficient rights for removing default security group.")
    if any(ident in p.get("security_groups", ()) for p in doc.get("ports", [])):
        raise Refused(409, f"Security Group {ident} in use.")
    groups(doc).remove(group)
    for other in groups(doc):   # rules naming it as their remote group go with it
        other["rules"] = [r for r in other.get("rules", []) if r.get("remote_group") != ident]
    return doc


# ---------------------------------------------------------------------------------- rules
def rule_entry(doc: Doc, ident: str) -> tuple[dict, dict]:
    for group in doc.get("security_groups", []):
        for rule in group.get("rules", []):
            if rule.get("id") == ident:
                return group, rule
    raise _not_found("Security group rule", ident)


def create_security_group_rule(doc: Doc, attrs: dict) -> tuple[Doc, str]:
    required(attrs, "security_group_id", "direction")
    if attrs.get("remote_address_group_id"):
        raise not_emulated("remote_address_group_id (address groups)")
    group = group_entry(doc, attrs["security_group_id"])
    rule = {"id": str(uuid.uuid4())}
    for key in RULE_KEYS:
        if attrs.get(key) is not None:
            rule[key] = attrs[key]
    if rule.get("remote_ip_prefix") in ("0.0.0.0/0", "::/0"):
        del rule["remote_ip_prefix"]   # any address, as no prefix says
    if attrs.get("remote_group_id"):
        group_entry(doc, attrs["remote_group_id"])   # 404 if there is none
        rule["remote_group"] = attrs["remote_group_id"]
    for other in group.setdefault("rules", []):
        if rule_key(other) == rule_key(rule):
            raise Refused(409, f"Security group rule already exists. Rule id is "
                          f"{other['id']}.")
    group["rules"].append(rule)
    return doc, rule["id"]


def delete_security_group_rule(doc: Doc, ident: str) -> Doc:
    group, rule = rule_entry(doc, ident)
    group["rules"].remove(rule)
    return doc


# ---------------------------------------------------------------------------------- ports
def set_port_security(doc: Doc, port: dict, attrs: dict, creating: bool = False) -> None:
    """A port's security_groups, port_security_enabled and allowed_address_pairs, as a
    create or an update asks; Neutron's conflicts refused. A port created without port
    security and without groups named has none (not its project's default group)."""
    project = port.get("project_id", DEFAULT_PROJECT)
    ensure_default_group(doc, project)
    if "security_groups" in attrs:
        wanted = attrs["security_groups"]
        for gid in wanted:
            group_entry(doc, gid)   # 404 if there is none
        port["security_groups"] = list(dict.fromkeys(wanted))
    if "allowed_address_pairs" in attrs:
        pairs = attrs["allowed_address_pairs"]
        if pairs:
            port["allowed_address_pairs"] = pairs
        else:
            port.pop("allowed_address_pairs", None)
    if "port_security_enabled" in attrs:
        port["port_security_enabled"] = attrs["port_security_enabled"]
        if creating and not attrs["port_security_enabled"] and "security_groups" not in port:
            port["security_groups"] = []
    if port.get("port_security_enabled", True) is False:
        if port.get("security_groups", [None]):   # (none named: the default group)
            raise Refused(409, "Port has security group associated. Cannot disable port "
                          "security or ip address until security group is removed")
        if port.get("allowed_address_pairs"):
            raise Refused(409, "Port Security must be enabled in order to have allowed "
                          "address pairs on a port.")
