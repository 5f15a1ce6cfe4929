"""The one schema of a cloud file, and its validation.

A cloud file is YAML with six top-level keys (see clouds/seed.yaml). Unknown keys, wrong types,
dangling references, duplicates and out-of-range values are all reported as one CloudError that
lists every fault, each naming the file, the entry and the fault. Nothing is started or
programmed from a file that does not validate.
"""
from __future__ import annotations

from typing import Any

import yaml

from cloud import model
from cloud import values as v
from cloud.checks import (Faults, Spec, check_host_address, check_pools, entries,
                          first_seen)
from cloud.naming import DEVICE_ID_LEN, tap_name
from cloud.schema_l3 import check_routers, external_network, floating_ips, routers_of


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
}
NETWORK: Spec = {
    "id": (True, v.uuid_text),
    "name": (True, v.text),
    "type": (True, v.choice(*model.TUNNEL_TYPES)),
    "segmentation_id": (True, v.integer),
    "cidr": (False, v.one_or_many(v.cidr)),          # none: a network without subnets
    "gateway_ip": (False, v.ip_address),
    "allocation_pools": (False, v.one_or_many(v.ip_range)),  # "FIRST-LAST", where IPs
                                                              # are allocated automatically
    "enable_dhcp": (False, v.boolean),  # needs a network:dhcp port with an IPv4 address
}
PORT: Spec = {
    "id": (True, v.uuid_text),
    "name": (True, v.short_name),
    "network": (True, v.text),
    "node": (True, v.short_name),
    "mac": (True, v.mac),
    "ip": (False, v.one_or_many(v.ip_address)),      # none: a port without fixed IPs
    "device_owner": (False, v.text),
    "router": (False, v.text),                       # network:router_interface: its router
}
DEFAULT_CONTROLLER_PORT = 6653


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects a mapping repeating a key (YAML would keep the last silently)."""

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
    nodes = _nodes(top["nodes"], fabric, faults)
    networks = _networks(top["networks"], faults)
    # A reference to an entry that exists but is itself faulty is not reported a second time.
    declared = {"node": _declared(top["nodes"], "name"),
                "network": _declared(top["networks"], "name") | _declared(top["networks"], "id"),
                "router": _declared(top.get("routers", []), "name") |
                _declared(top.get("routers", []), "id")}
    external = None
    if "external" in top:
        external = external_network(top["external"], fabric, networks, faults)
    routers = routers_of(top.get("routers", []), nodes, external, "external" in top, faults)
    ports = _ports(top.get("ports", []), nodes, networks, declared, faults, routers)
    _check_dhcp(networks, ports, faults)
    check_routers(routers, ports, networks, external, faults)
    declared["port"] = _declared(top.get("ports", []), "name") | \
        _declared(top.get("ports", []), "id")
    fips = floating_ips(top.get("floating_ips", []), external, routers, ports,
                        declared["port"], faults)
    if faults.items:
        raise CloudError(source, faults.items)
    return model.Cloud(name=top["cloud"], source=source, fabric=fabric, nodes=tuple(nodes),
                       networks=tuple(networks), ports=tuple(ports),
                       l2_population=top.get("l2_population", True), external=external,
                       routers=tuple(routers), floating_ips=tuple(fips))


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


def _declared(raw_list: list, key: str) -> set:
    return {e.get(key) for e in raw_list if isinstance(e, dict) and isinstance(e.get(key), str)}


def _nodes(raw_list: list, fabric: model.Fabric | None, faults: Faults) -> list[model.Node]:
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
        if ok:
            nodes.append(model.Node(**f))
    if not nodes and not faults.items:
        faults.add("nodes", "a cloud needs at least one node")
    return nodes


def _networks(raw_list: list, faults: Faults) -> list[model.Network]:
    networks, ids, names, segments = [], {}, {}, {}
    for label, f in entries("networks", raw_list, NETWORK, faults):
        ok = first_seen(ids, f["id"], label, f"network id {f['id']}", faults)
        ok &= first_seen(names, f["name"], label, f"network name {f['name']}", faults)
        seg, kind = f["segmentation_id"], f["type"]
        top = model.SEGMENTATION_MAX[kind]
        if not 1 <= seg <= top:
            faults.add(label, f"segmentation_id {seg} out of range for {kind} (1..{top})")
            ok = False
        else:
            ok &= first_seen(segments, (kind, seg), label, f"{kind} segmentation_id {seg}",
                              faults)
        cidrs = f.get("cidr", ())
        if len({c.version for c in cidrs}) != len(cidrs):
            faults.add(label, "at most one IPv4 and one IPv6 cidr per network")
            ok = False
        gateway = f.get("gateway_ip")
        if gateway is not None and not any(gateway in c for c in cidrs):
            faults.add(label, f"gateway_ip {gateway} is outside {', '.join(map(str, cidrs))}")
            ok = False
        pools = f.get("allocation_pools", ())
        ok &= check_pools(label, pools, cidrs, gateway, faults)
        if ok:
            networks.append(model.Network(id=f["id"], name=f["name"], type=kind,
                                          segmentation_id=seg, cidrs=cidrs, gateway_ip=gateway,
                                          allocation_pools=pools,
                                          enable_dhcp=f.get("enable_dhcp", False)))
    return networks


def _check_dhcp(networks: list[model.Network], ports: list[model.Port],
                faults: Faults) -> None:
    for net in networks:
        if not net.enable_dhcp:
            continue
        servers = [p for p in ports if p.network_id == net.id and p.device_owner ==
                   model.OWNER_DHCP and any(ip.version == 4 for ip in p.ips)]
        if len(servers) != 1:
            faults.add(f"network {net.name}", "enable_dhcp needs exactly one port with "
                       f"device_owner {model.OWNER_DHCP} and an IPv4 address (found "
                       f"{len(servers)})")


def _ports(raw_list: list, nodes: list[model.Node], networks: list[model.Network],
           declared: dict[str, set], faults: Faults,
           routers: list[model.Router] = ()) -> list[model.Port]:
    by_node = {n.name: n for n in nodes}
    by_net = {n.id: n for n in networks} | {n.name: n for n in networks}
    by_router = {r.id: r for r in routers} | {r.name: r for r in routers}
    ports, ids, devices, names, macs, ips = [], {}, {}, {}, {}, {}
    for label, f in entries("ports", raw_list, PORT, faults):
        ok = first_seen(ids, f["id"], label, f"port id {f['id']}", faults)
        ok &= first_seen(devices, f["id"][:DEVICE_ID_LEN], label,
                          f"device name {tap_name(f['id'])} (first {DEVICE_ID_LEN} characters "
                          "of the port id)", faults)
        ok &= first_seen(names, f["name"], label, f"port name {f['name']}", faults)
        ok &= first_seen(macs, f["mac"], label, f"MAC {f['mac']}", faults)
        node = by_node.get(f["node"])
        if node is None:
            if f["node"] not in declared["node"]:
                faults.add(label, f"unknown node {f['node']!r}")
            ok = False
        net = by_net.get(f["network"])
        if net is None:
            if f["network"] not in declared["network"]:
                faults.add(label, f"unknown network {f['network']!r}")
            ok = False
        owner = f.get("device_owner", "compute:nova")
        if owner.startswith(model.OWNER_COMPUTE_PREFIX):
            wanted_role = model.ROLE_COMPUTE
        elif owner in (model.OWNER_DHCP, model.OWNER_ROUTER_INTERFACE):
            wanted_role = model.ROLE_NETWORK
        else:
            faults.add(label, f"device_owner {owner!r} is not compute:<zone>, "
                       f"{model.OWNER_DHCP} or {model.OWNER_ROUTER_INTERFACE}")
            ok, wanted_role = False, None
        if node is not None and wanted_role and node.role != wanted_role:
            faults.add(label, f"device_owner {owner} needs a {wanted_role} node; "
                       f"{node.name} is a {node.role} node")
            ok = False
        router = None
        if owner == model.OWNER_ROUTER_INTERFACE:
            router = by_router.get(f.get("router"))
            if "router" not in f:
                faults.add(label, f"device_owner {owner} needs key 'router'")
                ok = False
            elif router is None:
                if f["router"] not in declared["router"]:
                    faults.add(label, f"unknown router {f['router']!r}")
                ok = False
            elif node is not None and node.name != router.node:
                faults.add(label, f"router {router.name} runs on {router.node}, not on "
                           f"{node.name}")
                ok = False
        elif "router" in f:
            faults.add(label, f"key 'router' is only for device_owner "
                       f"{model.OWNER_ROUTER_INTERFACE}")
            ok = False
        port_ips = f.get("ip", ())
        if net is not None:
            ok &= _check_port_ips(label, port_ips, net, ips, faults,
                                  gateway_allowed=router is not None)
        if ok:
            ports.append(model.Port(id=f["id"], name=f["name"], network_id=net.id,
                                    node=node.name, mac=f["mac"], ips=port_ips,
                                    device_owner=owner,
                                    router_id=router.id if router is not None else None))
    return ports


def _check_port_ips(label: str, port_ips: tuple, net: model.Network, seen: dict,
                    faults: Faults, gateway_allowed: bool = False) -> bool:
    ok = True
    for ip in port_ips:
        cidr = next((c for c in net.cidrs if ip in c), None)
        if cidr is None:
            faults.add(label, f"IP {ip} is outside network {net.name}'s cidr "
                       f"{', '.join(map(str, net.cidrs))}")
            ok = False
            continue
        if cidr.version == 4 and not check_host_address(label, "IP", ip, cidr, faults):
            ok = False
            continue
        if ip == net.gateway_ip and not gateway_allowed:
            faults.add(label, f"IP {ip} is network {net.name}'s gateway_ip")
            ok = False
            continue
        # The same IP may be used again in another network (tenants overlap); not in one.
        ok &= first_seen(seen, (net.id, ip), label, f"IP {ip} in network {net.name}", faults)
    if len({ip.version for ip in port_ips}) != len(port_ips):
        faults.add(label, "at most one IPv4 and one IPv6 address per port")
        ok = False
    return ok
