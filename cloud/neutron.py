"""The parsed cloud as Neutron's v2.0 API shows it: every attribute cloud/attributes.py
declares (and only those), with Neutron's defaults, as JSON-ready dicts.

What a view needs beyond the cloud comes in a `Context`: each resource's record (revision
number and timestamps, kept by the controller) and whether a port's device is on its bridge
(a port is ACTIVE once bound and plugged, DOWN before, as Neutron's agents report it).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from collections.abc import Callable, Mapping

from cloud.attributes import shown
from cloud.model import (OWNER_ROUTER_GATEWAY, Cloud, ExternalNetwork, FloatingIP, Meta,
                         Network, Node, Port, Router, Rule, SecurityGroup, Subnet)
from cloud.naming import BR_EX, BR_INT
from cloud.ops import AVAILABILITY_ZONE, default_pools
from cloud.schema_phys import EXTERNAL_PHYSNET as EXTERNAL_PHYSNET   # br-ex's flat segment

VIF_DETAILS = {"port_filter": True, "ovs_hybrid_plug": False, "datapath_type": "netdev",
               "bridge_name": BR_INT, "connectivity": "l2"}


@dataclass(frozen=True)
class Record:
    """What Neutron keeps of every resource's history."""
    revision_number: int = 0
    created_at: str = ""
    updated_at: str = ""


@dataclass
class Context:
    records: Mapping[str, Record] = field(default_factory=dict)
    # (node, bridge, device) -> is the device a port of the bridge (as the controller sees)
    plugged: Callable[[str, str, str], bool] = lambda node, bridge, device: False


def _standard(ctx: Context, ident: str, meta: Meta, owned: bool = True) -> dict:
    record = ctx.records.get(ident, Record())
    out = {"description": meta.description, "tags": list(meta.tags),
           "created_at": record.created_at, "updated_at": record.updated_at,
           "revision_number": record.revision_number}
    if owned:
        out = {"tenant_id": meta.project_id, "project_id": meta.project_id} | out
    return out


def _pools(subnet_pools, cidr, gateway) -> list[dict]:
    pools = list(subnet_pools) or default_pools(cidr, gateway)
    return [{"start": str(a), "end": str(b)} for a, b in pools]


def network(ctx: Context, cloud: Cloud, net: Network) -> dict:
    dhcp = any(p.device_owner == "network:dhcp" for p in cloud.ports_of(net.id))
    return {"id": net.id, "name": net.name, "admin_state_up": True, "status": "ACTIVE",
            "subnets": [s.id for s in net.subnets], "shared": net.shared,
            "mtu": net.mtu, "port_security_enabled": True,
            "provider:network_type": net.type, "provider:physical_network":
                net.physical_network,
            "provider:segmentation_id": net.segmentation_id, "router:external": False,
            "availability_zone_hints": [],
            "availability_zones": [AVAILABILITY_ZONE] if dhcp else [],
            "l2_adjacency": True, **_standard(ctx, net.id, net.meta)}


def external_network(ctx: Context, ext: ExternalNetwork) -> dict:
    return {"id": ext.id, "name": ext.name, "admin_state_up": True, "status": "ACTIVE",
            "subnets": [ext.subnet_id], "shared": False, "mtu": ext.mtu,
            "port_security_enabled": True, "provider:network_type": "flat",
            "provider:physical_network": EXTERNAL_PHYSNET, "provider:segmentation_id": None,
            "router:external": True, "availability_zone_hints": [],
            "availability_zones": [], "l2_adjacency": True,
            **_standard(ctx, ext.id, Meta())}


def subnet(ctx: Context, sub: Subnet) -> dict:
    return {"id": sub.id, "name": sub.name, "network_id": sub.network_id,
            "ip_version": sub.version, "cidr": str(sub.cidr), "subnetpool_id": None,
            "allocation_pools": _pools(sub.allocation_pools, sub.cidr, sub.gateway_ip),
            "dns_nameservers": [str(ip) for ip in sub.dns_nameservers],
            "host_routes": [{"destination": str(d), "nexthop": str(h)}
                            for d, h in sub.host_routes],
            "gateway_ip": str(sub.gateway_ip) if sub.gateway_ip is not None else None,
            "enable_dhcp": sub.enable_dhcp, "ipv6_ra_mode": sub.ipv6_ra_mode,
            "ipv6_address_mode": sub.ipv6_address_mode, **_standard(ctx, sub.id, sub.meta)}


def external_subnet(ctx: Context, ext: ExternalNetwork) -> dict:
    sub = Subnet(id=ext.subnet_id, name=ext.subnet_name, network_id=ext.id, cidr=ext.cidr,
                 gateway_ip=ext.gateway_ip, allocation_pools=ext.allocation_pools)
    return subnet(ctx, sub)


def _fixed_ips(cloud: Cloud, p: Port) -> list[dict]:
    net = cloud.network(p.network_id)
    return [{"subnet_id": net.subnet_of(ip).id, "ip_address": str(ip)} for ip in p.ips]


def port(ctx: Context, cloud: Cloud, p: Port) -> dict:
    bound = p.node is not None
    active = bound and ctx.plugged(p.node, BR_INT, p.device)
    return {"id": p.id, "name": p.name, "network_id": p.network_id, "admin_state_up": True,
            "mac_address": p.mac, "fixed_ips": _fixed_ips(cloud, p),
            "device_id": p.router_id or p.device_id, "device_owner": p.device_owner,
            "status": "ACTIVE" if active else "DOWN", "binding:host_id": p.node or "",
            "binding:profile": json.loads(p.binding_profile),
            "binding:vnic_type": "normal", "binding:vif_type": "ovs" if bound else "unbound",
            "binding:vif_details": dict(VIF_DETAILS) if bound else {},
            "port_security_enabled": p.port_security,
            "security_groups": list(p.security_groups),
            "allowed_address_pairs": [{"ip_address": _address(pair.ip),
                                       "mac_address": pair.mac}
                                      for pair in p.allowed_address_pairs],
            **_standard(ctx, p.id, p.meta)}


def _address(network) -> str:
    """A pair's address as Neutron shows it: an address alone, else the CIDR."""
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def security_group(ctx: Context, g: SecurityGroup) -> dict:
    return {"id": g.id, "name": g.name, "stateful": g.stateful,
            "security_group_rules": [security_group_rule(ctx, g, r) for r in g.rules],
            "shared": False, **_standard(ctx, g.id, g.meta)}


def security_group_rule(ctx: Context, g: SecurityGroup, r: Rule) -> dict:
    record = ctx.records.get(r.id, ctx.records.get(g.id, Record()))
    prefix = str(r.remote_ip_prefix) if r.remote_ip_prefix is not None else None
    return {"id": r.id, "security_group_id": g.id, "direction": r.direction,
            "ethertype": r.ethertype, "protocol": r.protocol,
            "port_range_min": r.port_range_min, "port_range_max": r.port_range_max,
            "remote_ip_prefix": prefix, "remote_group_id": r.remote_group_id,
            "remote_address_group_id": None, "normalized_cidr": prefix,
            "belongs_to_default_sg": g.is_default, "tenant_id": g.meta.project_id,
            "project_id": g.meta.project_id, "description": r.meta.description,
            "created_at": record.created_at, "updated_at": record.updated_at,
            "revision_number": record.revision_number}


def gateway_port(ctx: Context, cloud: Cloud, r: Router) -> dict:
    """A router's qg- port on the external network, as Neutron lists it (no project)."""
    gw, ext = r.gateway, cloud.external
    active = ctx.plugged(r.node, BR_EX, gw.device)
    out = {"id": gw.port_id, "name": "", "network_id": ext.id, "admin_state_up": True,
           "mac_address": gw.mac,
           "fixed_ips": [{"subnet_id": ext.subnet_id, "ip_address": str(gw.ip)}],
           "device_id": r.id, "device_owner": OWNER_ROUTER_GATEWAY,
           "status": "ACTIVE" if active else "DOWN", "binding:host_id": r.node,
           "binding:profile": {}, "binding:vnic_type": "normal", "binding:vif_type": "ovs",
           "binding:vif_details": dict(VIF_DETAILS, bridge_name=BR_EX),
           "port_security_enabled": False, "security_groups": [], "allowed_address_pairs": [],
           **_standard(ctx, gw.port_id, Meta(project_id=""))}
    return out


def router(ctx: Context, cloud: Cloud, r: Router) -> dict:
    info = None
    if r.gateway is not None:
        ext = cloud.external
        info = {"network_id": ext.id, "enable_snat": r.gateway.enable_snat,
                "external_fixed_ips": [{"subnet_id": ext.subnet_id,
                                        "ip_address": str(r.gateway.ip)}]}
    return {"id": r.id, "name": r.name, "admin_state_up": True, "status": "ACTIVE",
            "external_gateway_info": info, "availability_zone_hints": [],
            "availability_zones": [AVAILABILITY_ZONE], **_standard(ctx, r.id, r.meta)}


def floating_ip(ctx: Context, cloud: Cloud, f: FloatingIP) -> dict:
    fixed = router_id = None
    if f.port_id is not None:
        p = cloud.any_port(f.port_id)
        fixed = next(str(ip) for ip in p.ips if ip.version == 4)
        gateway_router = cloud.gateway_router(p.network_id)
        router_id = gateway_router.id if gateway_router else None
    return {"id": f.id, "floating_ip_address": str(f.ip),
            "floating_network_id": cloud.external.id, "router_id": router_id,
            "port_id": f.port_id, "fixed_ip_address": fixed,
            "status": "ACTIVE" if f.port_id else "DOWN", **_standard(ctx, f.id, f.meta)}


def node(n: Node, bridges: dict[str, bool]) -> dict:
    return {"name": n.name, "role": n.role, "management_ip": str(n.management_ip),
            "tunnel_ip": str(n.tunnel_ip),
            "bridges": {b: ("connected" if up else "disconnected")
                        for b, up in sorted(bridges.items())}}


def ordered(coll: str, view: dict) -> dict:
    """A view in its attributes' declared order; a view that differs from the declaration
    is a bug, reported at once."""
    names = shown(coll)
    if set(view) != set(names):
        raise KeyError(f"{coll} view has {sorted(set(view) ^ set(names))} against the "
                       "declared attributes")
    return {name: view[name] for name in names}


def collection(ctx: Context, cloud: Cloud, coll: str) -> list[dict]:
    """Every member of a collection (agents and nodes come from the controller), each in
    its attributes' declared order."""
    return [ordered(coll, view()) for _, view in _members(ctx, cloud, coll)]


def member(ctx: Context, cloud: Cloud, coll: str, ident: str) -> dict | None:
    """One member's view by id (or name, for availability zones), None if there is none;
    only that view is built (a port's looked up by id, as the API's busiest answer)."""
    if coll == "ports":
        found = cloud.find_port(ident)
        if found is not None:
            return ordered(coll, port(ctx, cloud, found))
    return next((ordered(coll, view()) for key, view in _members(ctx, cloud, coll)
                 if key == ident), None)


def _members(ctx: Context, cloud: Cloud, coll: str):
    """(id, a function making the view) of every member."""
    ext = cloud.external
    if coll == "networks":
        yield from ((n.id, lambda n=n: network(ctx, cloud, n)) for n in cloud.networks)
        if ext:
            yield ext.id, lambda: external_network(ctx, ext)
    elif coll == "subnets":
        yield from ((s.id, lambda s=s: subnet(ctx, s)) for n in cloud.networks
                    for s in n.subnets)
        if ext:
            yield ext.subnet_id, lambda: external_subnet(ctx, ext)
    elif coll == "ports":
        yield from ((p.id, lambda p=p: port(ctx, cloud, p))
                    for p in cloud.ports + cloud.unbound)
        yield from ((r.gateway.port_id, lambda r=r: gateway_port(ctx, cloud, r))
                    for r in cloud.routers if r.gateway is not None)
    elif coll == "routers":
        yield from ((r.id, lambda r=r: router(ctx, cloud, r)) for r in cloud.routers)
    elif coll == "floatingips":
        yield from ((f.id, lambda f=f: floating_ip(ctx, cloud, f)) for f in cloud.floating_ips)
    elif coll == "security_groups":
        yield from ((g.id, lambda g=g: security_group(ctx, g)) for g in cloud.security_groups)
    elif coll == "security_group_rules":
        yield from ((r.id, lambda g=g, r=r: security_group_rule(ctx, g, r))
                    for g in cloud.security_groups for r in g.rules)
    elif coll == "availability_zones":
        yield from ((AVAILABILITY_ZONE, lambda kind=kind: {
            "name": AVAILABILITY_ZONE, "resource": kind, "state": "available"})
            for kind in ("network", "router"))
    else:
        raise KeyError(coll)
