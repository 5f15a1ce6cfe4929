"""The one schema of a cloud file, and its validation.

A cloud file is YAML with these top-level keys (see clouds/seed.yaml). Unknown keys, wrong types,
dangling references, duplicates and out-of-range values are all reported as one CloudError that
lists every fault, each naming the file, the entry and the fault. Nothing is started or
programmed from a file that does not validate.
"""
from __future__ import annotations

from typing import Any

import yaml

from cloud import model
from cloud import values as v
from cloud.checks import Faults, Refs, Spec, check_host_address, entries, first_seen
from cloud.naming import DEVICE_ID_LEN, tap_name
from cloud.schema_l3 import check_routers, external_network, floating_ips, routers_of
from cloud.schema_net import META, automatic_address, eui64, meta, networks_of
from cloud.schema_phys import bridge_mappings, check_port_node, physical_networks_of
from cloud.schema_sg import (check_pair_macs, default_group_entry, port_security,
                             security_groups_of)


class CloudError(Exception):
    """A cloud description that cannot be used; `faults` lists (entry, fault) pairs."""

    def __init__(self, source: str, faults: list[tuple[str, str]]):
        self.source = source
        self.faults = list(faults)
        super().__init__("\n".join(f"{source}: {entry}: {fault}" for entry, fault in self.faults))


# ------------------------------------------------------------------------------- the schema

TOP: Spec = {
    "cloud": (True, v.short_name),
    "management": (True, v.mapping),
    "data": (True, v.mapping),
    "nodes": (True, v.sequence),
    "networks": (True, v.sequence),
    "ports": (False, v.sequence),
    "l2_population": (False, v.boolean),
    "external": (False, v.mapping),
    "routers": (False, v.sequence),
    "floating_ips": (False, v.sequence),
    "security_groups": (False, v.sequence),
    "physical_networks": (False, v.sequence),
}
MANAGEMENT: Spec = {
    "cidr": (True, v.ipv4_network),
    "controller": (True, v.ipv4),
    "controller_port": (False, v.port_number),
}
DATA: Spec = {"cidr": (True, v.ipv4_network)}
NODE: Spec = {
    "name": (True, v.short_name),
    "role": (True, v.choice(*model.ROLES)),
    "management_ip": (True, v.ipv4),
    "tunnel_ip": (True, v.ipv4),
    "bridge_mappings": (False, v.mapping),   # physnet -> br-ethN (cloud/schema_phys.py)
}
PORT: Spec = {
    "id": (True, v.uuid_text),
    "name": (False, v.free_text),
    "network": (True, v.text),                       # id, or a name no other network has
    "node": (False, v.short_name),                   # binding:host_id; none: unbound
    "mac": (True, v.mac),
    "ip": (False, v.one_or_many(v.ip_address)),      # none: a port without fixed IPs
    "device_owner": (False, v.free_text),            # default compute:nova
    "device_id": (False, v.free_text),
    "router": (False, v.text),                       # network:router_interface: its router
    "binding_profile": (False, v.json_mapping),
    "security_groups": (False, v.many(v.text)),      # names or ids; none: the default group
    "port_security_enabled": (False, v.boolean),
    "allowed_address_pairs": (False, v.sequence),    # [{ip_address, mac_address}]
    **META,
}
DEFAULT_OWNER = "compute:nova"
VM_OWNERS = "compute:<zone>, an empty one"
DEFAULT_CONTROLLER_PORT = 6653


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader (libyaml's parser where PyYAML has it: ten times faster) that rejects a
    mapping repeating a key (YAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def read(path: str) -> Any:
    """A cloud file's content, not yet validated (CloudError if unreadable or not YAML)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except OSError as exc:
        raise CloudError(path, [("file", f"cannot read: {exc.strerror}")]) from None
    except yaml.YAMLError as exc:
        raise CloudError(path, [("file", f"not valid YAML: {exc}")]) from None


def load(path: str) -> model.Cloud:
    """Read and validate a cloud file; raise CloudError naming every fault."""
    return parse(read(path), path)


def parse(raw: Any, source: str) -> model.Cloud:
    """Validate an already-loaded mapping (a file's content or a generated cloud)."""
    faults = Faults()
    top = faults.fields("top level", raw, TOP)
    if top is None:
        raise CloudError(source, faults.items)
    mgmt = faults.fields("management", top["management"], MANAGEMENT)
    data = faults.fields("data", top["data"], DATA)
    fabric = None
    if mgmt is not None and data is not None:
        fabric = _fabric(mgmt, data, faults)
    physnets = physical_networks_of(top.get("physical_networks", []), faults)
    unmapped: set[str] = set()   # nodes whose bridge_mappings have a fault
    nodes = _nodes(top["nodes"], fabric, physnets, unmapped, faults)
    networks = networks_of(top["networks"], faults, physnets)
    external = None
    if "external" in top:
        external = external_network(top["external"], fabric, networks, faults)
    routers = routers_of(top.get("routers", []), nodes, external, "external" in top, faults)
    refs = {"node": {e.get("name") for e in top["nodes"] if isinstance(e, dict)},
            "unmapped": unmapped,
            "network": Refs("network", top["networks"], networks),
            "router": Refs("router", top.get("routers", []), routers)}
    projects = {n.meta.project_id for n in networks} | {
        e.get("project_id", model.DEFAULT_PROJECT) for e in top.get("ports", [])
        if isinstance(e, dict) and isinstance(e.get("project_id", ""), str)}
    refs["group"] = security_groups_of(top.get("security_groups", []), projects, faults)
    ports = _ports(top.get("ports", []), nodes, refs, faults)
    bound = [p for p in ports if p.node is not None]
    _check_dhcp(networks, ports, faults)
    check_pair_macs(ports, faults)
    check_routers(routers, bound, networks, external, faults)
    fips = floating_ips(top.get("floating_ips", []), external, routers,
                        Refs("port", top.get("ports", []), ports), ports, faults)
    if faults.items:
        raise CloudError(source, faults.items)
    return model.Cloud(name=top["cloud"], source=source, fabric=fabric, nodes=tuple(nodes),
                       networks=tuple(networks), ports=tuple(bound),
                       l2_population=top.get("l2_population", True), external=external,
                       routers=tuple(routers), floating_ips=tuple(fips),
                       unbound=tuple(p for p in ports if p.node is None),
                       security_groups=tuple(refs["group"].groups),
                       physical_networks=tuple(p for p in physnets.values() if p))


def _fabric(mgmt: dict, data: dict, faults: Faults) -> model.Fabric | None:
    before = len(faults.items)
    check_host_address("management", "controller", mgmt["controller"], mgmt["cidr"], faults)
    if mgmt["cidr"].overlaps(data["cidr"]):
        faults.add("data", f"cidr {data['cidr']} overlaps the management cidr {mgmt['cidr']}")
    if len(faults.items) != before:
        return None
    return model.Fabric(management_cidr=mgmt["cidr"], controller_ip=mgmt["controller"],
                        controller_port=mgmt.get("controller_port", DEFAULT_CONTROLLER_PORT),
                        data_cidr=data["cidr"])


def _nodes(raw_list: list, fabric: model.Fabric | None, physnets: dict, unmapped: set,
           faults: Faults) -> list[model.Node]:
    nodes, names, mgmt_ips, tun_ips = [], {}, {}, {}
    for label, f in entries("nodes", raw_list, NODE, faults):
        ok = first_seen(names, f["name"], label, f"node name {f['name']}", faults)
        ok &= first_seen(mgmt_ips, f["management_ip"], label,
                          f"management_ip {f['management_ip']}", faults)
        ok &= first_seen(tun_ips, f["tunnel_ip"], label, f"tunnel_ip {f['tunnel_ip']}", faults)
        if fabric is not None:
            ok &= check_host_address(label, "management_ip", f["management_ip"],
                                      fabric.management_cidr, faults)
            ok &= check_host_address(label, "tunnel_ip", f["tunnel_ip"], fabric.data_cidr,
                                      faults)
            if f["management_ip"] == fabric.controller_ip:
                faults.add(label, f"management_ip {f['management_ip']} is the controller's")
                ok = False
        # (a node whose mappings have a fault still counts as a node, and its ports are not
        # checked against them: the fault is reported once; no cloud is made anyway)
        mappings = bridge_mappings(label, f.pop("bridge_mappings", {}), physnets, faults)
        if ok:
            nodes.append(model.Node(**f, bridge_mappings=mappings or ()))
            if mappings is None:
                unmapped.add(f["name"])
    if not nodes and not faults.items:
        faults.add("nodes", "a cloud needs at least one node")
    return nodes


def _check_dhcp(networks: list[model.Network], ports: list[model.Port],
                faults: Faults) -> None:
    """A network whose IPv4 subnet has DHCP has exactly one network:dhcp port with an
    address in it (dnsmasq's, in qdhcp-<network id>); a DHCP port needs such a subnet."""
    servers: dict[str, list[model.Port]] = {}
    for port in ports:
        if port.device_owner == model.OWNER_DHCP:
            servers.setdefault(port.network_id, []).append(port)
    for net in networks:
        mine = servers.get(net.id, [])
        v4 = net.subnet(4)
        label = f"network {net.name or net.id}"
        if net.enable_dhcp:
            good = [p for p in mine if any(ip in v4.cidr for ip in p.ips)]
            if len(mine) != 1 or len(good) != 1:
                faults.add(label, f"its IPv4 subnet has enable_dhcp: it needs exactly one port "
                           f"with device_owner {model.OWNER_DHCP} and an address in "
                           f"{v4.cidr} (found {len(good)} of {len(mine)} DHCP ports)")
        elif mine:
            faults.add(label, f"port {mine[0].name or mine[0].id} has device_owner "
                       f"{model.OWNER_DHCP}, but no IPv4 subnet of the network has "
                       "enable_dhcp")


def _owner_role(label: str, owner: str, faults: Faults) -> tuple[bool, str | None]:
    """(valid?, the role of node the owner needs)."""
    if owner == "" or owner.startswith(model.OWNER_COMPUTE_PREFIX):
        return True, model.ROLE_COMPUTE
    if owner in (model.OWNER_DHCP, model.OWNER_ROUTER_INTERFACE):
        return True, model.ROLE_NETWORK
    faults.add(label, f"device_owner {owner!r} is not {VM_OWNERS}, {model.OWNER_DHCP} or "
               f"{model.OWNER_ROUTER_INTERFACE}")
    return False, None


def _ports(raw_list: list, nodes: list[model.Node], refs: dict, faults: Faults
           ) -> list[model.Port]:
    by_node = {n.name: n for n in nodes}
    seen: Seen = ({}, {}, {}, {})
    ports = []
    for label, f in entries("ports", raw_list, PORT, faults):
        port = port_of(label, f, by_node, refs, seen, faults)
        if port is not None:
            ports.append(port)
    return ports


# what the ports before an entry have: ids, device names, MACs, (network id, IP)s, each with
# the label of the entry that has it (cloud/inplace.py passes its indexes instead)
Seen = tuple[dict, dict, dict, dict]


def port_of(label: str, f: dict, by_node: dict, refs: dict, seen: Seen, faults: Faults
            ) -> model.Port | None:
    """One port entry's checks (those against other ports through `seen`) and its Port, or
    None if it has a fault."""
    ids, devices, macs, ips = seen
    ok = first_seen(ids, f["id"], label, f"port id {f['id']}", faults)
    ok &= first_seen(devices, f["id"][:DEVICE_ID_LEN], label,
                      f"device name {tap_name(f['id'])} (first {DEVICE_ID_LEN} characters "
                      "of the port id)", faults)
    ok &= first_seen(macs, f["mac"], label, f"MAC {f['mac']}", faults)
    node = None
    if "node" in f:
        node = by_node.get(f["node"])
        if node is None:
            if f["node"] not in refs["node"]:
                faults.add(label, f"unknown node {f['node']!r}")
            ok = False
    net = refs["network"].resolve(f["network"], label, faults)
    ok &= net is not None
    owner = f.get("device_owner", DEFAULT_OWNER)
    valid, wanted_role = _owner_role(label, owner, faults)
    ok &= valid
    if node is not None and net is not None and node.name not in refs["unmapped"]:
        ok &= check_port_node(label, net, node, faults)
    if node is not None and wanted_role and node.role != wanted_role:
        faults.add(label, f"device_owner {owner or '(none)'} needs a {wanted_role} node; "
                   f"{node.name} is a {node.role} node")
        ok = False
    if "node" not in f and owner in (model.OWNER_DHCP, model.OWNER_ROUTER_INTERFACE):
        faults.add(label, f"a port with device_owner {owner} must be bound to a node")
        ok = False
    router = None
    if owner == model.OWNER_ROUTER_INTERFACE:
        if "router" not in f:
            faults.add(label, f"device_owner {owner} needs key 'router'")
            ok = False
        else:
            router = refs["router"].resolve(f["router"], label, faults)
            ok &= router is not None
        if router is not None and node is not None and node.name != router.node:
            faults.add(label, f"router {router.name or router.id} runs on {router.node}, "
                       f"not on {node.name}")
            ok = False
    elif "router" in f:
        faults.add(label, f"key 'router' is only for device_owner "
                   f"{model.OWNER_ROUTER_INTERFACE}")
        ok = False
    security = port_security(label, f, f["mac"], valid and model.Port(
        "", "", "", None, f["mac"], (), device_owner=owner).is_vm, refs["group"], faults)
    ok &= security is not None
    port_ips = f.get("ip", ())
    if net is not None:
        ok &= _check_port_ips(label, port_ips, net, f["mac"], ips, faults,
                              gateway_allowed=owner == model.OWNER_ROUTER_INTERFACE)
    if not ok:
        return None
    return model.Port(
        id=f["id"], name=f.get("name", ""), network_id=net.id,
        node=node.name if node is not None else None, mac=f["mac"], ips=port_ips,
        device_owner=owner, router_id=router.id if router is not None else None,
        device_id=router.id if router is not None else f.get("device_id", ""),
        binding_profile=f.get("binding_profile", "{}"), meta=meta(f),
        security_groups=security[0], port_security=security[1],
        allowed_address_pairs=security[2])


def _check_port_ips(label: str, port_ips: tuple, net: model.Network, mac: str, seen: dict,
                    faults: Faults, gateway_allowed: bool = False) -> bool:
    ok = True
    for ip in port_ips:
        subnet = net.subnet_of(ip)
        if subnet is None:
            faults.add(label, f"IP {ip} is outside network {net.name or net.id}'s subnets "
                       f"{', '.join(map(str, net.cidrs)) or '(none)'}")
            ok = False
            continue
        if subnet.version == 4 and not check_host_address(label, "IP", ip, subnet.cidr,
                                                          faults):
            ok = False
            continue
        if ip == subnet.gateway_ip and not gateway_allowed:
            faults.add(label, f"IP {ip} is subnet {subnet.cidr}'s gateway_ip")
            ok = False
            continue
        if automatic_address(subnet) and ip != eui64(subnet, mac):
            faults.add(label, f"IP {ip} is not the SLAAC address of MAC {mac} on {subnet.cidr} "
                       f"({eui64(subnet, mac)}): the subnet's ipv6_address_mode "
                       f"{subnet.ipv6_address_mode or subnet.ipv6_ra_mode} assigns it")
            ok = False
            continue
        # The same IP may be used again in another network (tenants overlap); not in one.
        ok &= first_seen(seen, (net.id, ip), label, f"IP {ip} in network {net.name or net.id}",
                         faults)
    if len({ip.version for ip in port_ips}) != len(port_ips):
        faults.add(label, "at most one IPv4 and one IPv6 address per port")
        ok = False
    return ok


def _groups_with_ids(raw: dict, cloud: model.Cloud) -> None:
    """Every group of the cloud written out with its id and its rules' ids, remote groups
    by id: the default groups the schema made for projects too (as Neutron makes them)."""
    entries = {}
    for entry in raw.get("security_groups", []):
        project = entry.get("project_id", model.DEFAULT_PROJECT)
        ident = str(entry.get("id", "")).lower()   # (by name only without one: names repeat)
        group = next(g for g in cloud.security_groups
                     if g.id == ident or (not ident and g.name == entry["name"]
                                          and g.meta.project_id == project))
        entry["id"] = group.id
        for rule_entry, rule in zip(entry.get("rules", []), group.rules, strict=True):
            rule_entry["id"] = rule.id
            if "remote_group" in rule_entry:
                rule_entry["remote_group"] = rule.remote_group_id
        entries[group.id] = entry
    for group in cloud.security_groups:   # (the file's others are the schema's defaults)
        if group.id not in entries:
            raw.setdefault("security_groups", []).append(
                default_group_entry(group.meta.project_id))


def with_ids(raw: dict, cloud: model.Cloud) -> dict:
    """The document of a valid cloud with every reference by name made a reference by id
    (a port's network and router, a floating IP's port): what the API keeps, so that names
    are free text and may repeat."""
    def resolve(ref: str, items) -> str:
        by_id = {x.id for x in items}
        return ref.lower() if ref.lower() in by_id else next(x.id for x in items
                                                             if x.name == ref)
    ports = cloud.ports + cloud.unbound
    by_id = {p.id: p for p in ports}
    for port in raw.get("ports", []):
        port["network"] = resolve(port["network"], cloud.networks)
        if "router" in port:
            port["router"] = resolve(port["router"], cloud.routers)
        if "security_groups" in port:
            port["security_groups"] = list(by_id[port["id"].lower()].security_groups)
    _groups_with_ids(raw, cloud)
    for entry, net in zip(raw["networks"], cloud.networks, strict=True):
        if net.segmentation_id is not None:   # (a VLAN id the schema allocated)
            entry["segmentation_id"] = net.segmentation_id
    for fip in raw.get("floating_ips", []):
        if "port" in fip:
            fip["port"] = resolve(fip["port"], ports)
    return raw
