"""The cloud file's layer-3 part: the external network, routers and floating IPs.

    external:     {id, name, cidr, gateway_ip, allocation_pools}    (Neutron's Ext-Net)
    routers:      [{id, name, node, gateway: {port_id, mac, ip}}]   (router-create, -gateway-set)
    ports:        [{..., device_owner: network:router_interface, router: NAME}]
                                                                     (router-interface-add)
    floating_ips: [{id, ip, port}]                                   (floatingip-create)

Checked as Neutron checks them: a router's interfaces are on distinct, non-overlapping IPv4
subnets that do not overlap the external network; addresses on the external network are its
hosts, never its gateway, never twice; a floating IP's port must be reachable from the
external network through exactly one router with a gateway.
"""
from __future__ import annotations

from typing import Any

from cloud import model
from cloud import values as v
from cloud.checks import Faults, Refs, Spec, check_host_address, check_pools, entries, first_seen
from cloud.naming import DEVICE_ID_LEN
from cloud.schema_net import META, meta, subnet_id

EXTERNAL: Spec = {
    "id": (True, v.uuid_text),
    "name": (True, v.text),
    "cidr": (True, v.ipv4_network),
    "gateway_ip": (True, v.ipv4),                    # the external gateway host
    "allocation_pools": (False, v.one_or_many(v.ip_range)),  # for qg and floating IPs
    "subnet_id": (False, v.uuid_text),               # default: derived from id and cidr
    "subnet_name": (False, v.free_text),
}
ROUTER: Spec = {
    "id": (True, v.uuid_text),
    "name": (False, v.free_text),
    "node": (False, v.short_name),                   # default: the first network node
    "gateway": (False, v.mapping),                   # see GATEWAY (router-gateway-set)
    **META,
}
GATEWAY: Spec = {
    "port_id": (True, v.uuid_text),                  # qg-<port_id[:11]> on br-ex
    "mac": (True, v.mac),
    "ip": (True, v.ipv4),                            # an address of the external network
    "enable_snat": (False, v.boolean),               # false: no SNAT but floating IPs'
}
FLOATING_IP: Spec = {
    "id": (True, v.uuid_text),
    "ip": (True, v.ipv4),                            # an address of the external network
    "port": (False, v.text),                         # the port (id or unique name) it maps
    **META,                                          # to; none: unassociated
}


def external_network(raw: Any, fabric: model.Fabric | None, networks: list[model.Network],
                     faults: Faults) -> model.ExternalNetwork | None:
    f = faults.fields("external", raw, EXTERNAL)
    if f is None:
        return None
    ok = check_host_address("external", "gateway_ip", f["gateway_ip"], f["cidr"], faults)
    if fabric is not None:
        for what, cidr in (("management", fabric.management_cidr), ("data", fabric.data_cidr)):
            if f["cidr"].overlaps(cidr):
                faults.add("external", f"cidr {f['cidr']} overlaps the {what} cidr {cidr}")
                ok = False
    for net in networks:
        if f["id"] == net.id:
            faults.add("external", f"id also used by network {net.name or net.id}")
            ok = False
        if f.get("subnet_id") in {s.id for s in net.subnets}:
            faults.add("external", f"subnet_id also used by a subnet of network "
                       f"{net.name or net.id}")
            ok = False
    pools = f.get("allocation_pools", ())
    ok &= check_pools("external", pools, (f["cidr"],), f["gateway_ip"], faults)
    if not ok:
        return None
    return model.ExternalNetwork(id=f["id"], name=f["name"], cidr=f["cidr"],
                                 gateway_ip=f["gateway_ip"], allocation_pools=pools,
                                 subnet_id=f.get("subnet_id") or subnet_id(f["id"], f["cidr"]),
                                 subnet_name=f.get("subnet_name", ""))


def _external_address(label: str, ip, external: model.ExternalNetwork, faults: Faults) -> bool:
    if not check_host_address(label, "ip", ip, external.cidr, faults):
        return False
    if ip == external.gateway_ip:
        faults.add(label, f"ip {ip} is the external network's gateway_ip")
        return False
    return True


def routers_of(raw_list: list, nodes: list[model.Node],
               external: model.ExternalNetwork | None, external_declared: bool,
               faults: Faults) -> list[model.Router]:
    by_node = {n.name: n for n in nodes}
    default_node = next((n.name for n in nodes if n.role == model.ROLE_NETWORK), None)
    routers, ids, gateway_ips = [], {}, {}
    for label, f in entries("routers", raw_list, ROUTER, faults):
        ok = first_seen(ids, f["id"], label, f"router id {f['id']}", faults)
        node = f.get("node", default_node)
        if node is None:
            faults.add(label, "a router needs a network node, and the cloud has none")
            ok = False
        elif node not in by_node:
            faults.add(label, f"unknown node {node!r}")
            ok = False
        elif by_node[node].role != model.ROLE_NETWORK:
            faults.add(label, f"routers run on network nodes; {node} is a "
                       f"{by_node[node].role} node")
            ok = False
        gateway = None
        if "gateway" in f:
            g = faults.fields(f"{label} gateway", f["gateway"], GATEWAY)
            if g is None:
                ok = False
            elif external is None:
                if not external_declared:
                    faults.add(label, "a gateway needs the top-level 'external' network")
                ok = False
            elif _external_address(f"{label} gateway", g["ip"], external, faults) and \
                    first_seen(gateway_ips, g["ip"], label, f"external ip {g['ip']}", faults):
                gateway = model.Gateway(port_id=g["port_id"], mac=g["mac"], ip=g["ip"],
                                        enable_snat=g.get("enable_snat", True))
            else:
                ok = False
        if ok:
            routers.append(model.Router(id=f["id"], name=f.get("name", ""), node=node,
                                        gateway=gateway, meta=meta(f)))
    return routers


def check_routers(routers: list[model.Router], ports: list[model.Port],
                  networks: list[model.Network], external: model.ExternalNetwork | None,
                  faults: Faults) -> None:
    by_net = {n.id: n for n in networks}
    port_ids = {p.id for p in ports} | {p.id[:DEVICE_ID_LEN] for p in ports}
    macs = {p.mac for p in ports}
    for router in routers:
        label = f"router {router.name or router.id}"
        seen: dict[str, tuple] = {}   # subnet id -> (cidr, network label)
        for port in (p for p in ports if p.router_id == router.id):
            net = by_net[port.network_id]
            v4 = [ip for ip in port.ips if ip.version == 4]
            if len(v4) != 1 or len(port.ips) != 1:
                faults.add(label, f"interface {port.name or port.id} needs exactly one IPv4 "
                           "address and no other (routing is emulated for IPv4)")
                continue
            subnet = net.subnet_of(v4[0])
            cidr = subnet.cidr
            name = net.name or net.id
            for other, (other_cidr, other_name) in seen.items():
                if other == subnet.id:
                    faults.add(label, f"two interfaces on subnet {cidr} of network {name}")
                elif cidr.overlaps(other_cidr):
                    faults.add(label, f"interface on {name} ({cidr}) overlaps the interface "
                               f"on {other_name} ({other_cidr})")
            if external is not None and cidr.overlaps(external.cidr):
                faults.add(label, f"interface on {net.name or net.id} ({cidr}) overlaps the "
                           f"external network {external.cidr}")
            seen.setdefault(subnet.id, (cidr, name))
        gw = router.gateway
        if gw is not None:
            if gw.port_id in port_ids or gw.port_id[:DEVICE_ID_LEN] in port_ids:
                faults.add(label, f"gateway port_id {gw.port_id} (or its first "
                           f"{DEVICE_ID_LEN} characters) is also a port's")
            if gw.mac in macs:
                faults.add(label, f"gateway MAC {gw.mac} is also a port's")
            port_ids |= {gw.port_id, gw.port_id[:DEVICE_ID_LEN]}
            macs.add(gw.mac)


def floating_ips(raw_list: list, external: model.ExternalNetwork | None,
                 routers: list[model.Router], refs: Refs, ports: list[model.Port],
                 faults: Faults) -> list[model.FloatingIP]:
    """A floating IP is an address of the external network, once; associated with a port,
    the port must be reachable from the external network through exactly one router with a
    gateway (the one that translates it)."""
    used = {r.gateway.ip: f"router {r.name or r.id}'s gateway" for r in routers if r.gateway}
    out, ids, taken_ports = [], {}, {}
    for label, f in entries("floating_ips", raw_list, FLOATING_IP, faults):
        label = f"{label} ({f['ip']})"
        ok = first_seen(ids, f["id"], label, f"floating IP id {f['id']}", faults)
        if external is None:
            faults.add(label, "floating IPs need the top-level 'external' network")
            continue
        ok &= _external_address(label, f["ip"], external, faults)
        if f["ip"] in used:
            faults.add(label, f"ip {f['ip']} is already {used[f['ip']]}")
            ok = False
        used.setdefault(f["ip"], label)
        port = None
        if "port" in f:
            port = refs.resolve(f["port"], label, faults)
            if port is None:
                continue
            ok &= _check_association(label, port, routers, ports, taken_ports, faults)
        if ok:
            out.append(model.FloatingIP(id=f["id"], ip=f["ip"],
                                        port_id=port.id if port is not None else None,
                                        meta=meta(f)))
    return out


def _check_association(label: str, port: model.Port, routers: list[model.Router],
                       ports: list[model.Port], taken: dict, faults: Faults) -> bool:
    name = port.name or port.id
    ok = True
    if not port.is_vm or not any(ip.version == 4 for ip in port.ips):
        faults.add(label, f"port {name} is not a VM port with an IPv4 address")
        ok = False
    ok &= first_seen(taken, port.id, label, f"floating IP for port {name}", faults)
    via = [r for r in routers if r.gateway is not None and any(
        p.router_id == r.id and p.network_id == port.network_id for p in ports)]
    if len(via) != 1:
        faults.add(label, f"port {name}'s network must be connected to the external "
                   f"network by exactly one router with a gateway (found {len(via)})")
        ok = False
    return ok
