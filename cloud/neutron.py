"""The parsed cloud as Neutron's v2.0 API shows it: networks, subnets, ports (and the
read-only nodes this API adds), as JSON-ready dicts."""
from __future__ import annotations

from cloud.model import Cloud, ExternalNetwork, FloatingIP, Network, Node, Port, Router
from cloud.ops import pools_in, subnet_id


def network(net: Network) -> dict:
    return {"id": net.id, "name": net.name, "provider:network_type": net.type,
            "provider:segmentation_id": net.segmentation_id,
            "subnets": [subnet_id(net.id, str(c)) for c in net.cidrs], "mtu": net.mtu,
            "router:external": False, "status": "ACTIVE", "admin_state_up": True}


def external_network(ext: ExternalNetwork) -> dict:
    return {"id": ext.id, "name": ext.name, "provider:network_type": "flat",
            "provider:segmentation_id": None, "subnets": [subnet_id(ext.id, str(ext.cidr))],
            "mtu": ext.mtu, "router:external": True, "status": "ACTIVE",
            "admin_state_up": True}


def external_subnet(ext: ExternalNetwork) -> dict:
    pools = [{"start": str(a), "end": str(b)}
             for a, b in pools_in(ext.allocation_pools, ext.cidr)]
    return {"id": subnet_id(ext.id, str(ext.cidr)), "network_id": ext.id,
            "cidr": str(ext.cidr), "ip_version": 4, "gateway_ip": str(ext.gateway_ip),
            "allocation_pools": pools, "enable_dhcp": False}


def router(cloud: Cloud, r: Router) -> dict:
    info = None
    if r.gateway is not None:
        ext = cloud.external
        info = {"network_id": ext.id, "enable_snat": True,
                "external_fixed_ips": [{"subnet_id": subnet_id(ext.id, str(ext.cidr)),
                                        "ip_address": str(r.gateway.ip)}]}
    return {"id": r.id, "name": r.name, "external_gateway_info": info,
            "status": "ACTIVE", "admin_state_up": True}


def floating_ip(cloud: Cloud, f: FloatingIP) -> dict:
    p = cloud.port(f.port_id)
    return {"id": f.id, "floating_ip_address": str(f.ip),
            "floating_network_id": cloud.external.id, "port_id": p.id,
            "fixed_ip_address": next(str(ip) for ip in p.ips if ip.version == 4),
            "router_id": cloud.gateway_router(p.network_id).id, "status": "ACTIVE"}


def subnets_of(net: Network) -> list[dict]:
    out = []
    for cidr in net.cidrs:
        pools = [{"start": str(a), "end": str(b)} for a, b in pools_in(net.allocation_pools, cidr)]
        gateway = net.gateway_ip if net.gateway_ip is not None and net.gateway_ip in cidr \
            else None
        out.append({"id": subnet_id(net.id, str(cidr)), "network_id": net.id,
                    "cidr": str(cidr), "ip_version": cidr.version,
                    "gateway_ip": str(gateway) if gateway is not None else None,
                    "allocation_pools": pools,
                    "enable_dhcp": net.enable_dhcp and cidr.version == 4})
    return out


def port(cloud: Cloud, p: Port) -> dict:
    net = cloud.network(p.network_id)
    fixed = []
    for ip in p.ips:
        cidr = next(c for c in net.cidrs if ip in c)
        fixed.append({"subnet_id": subnet_id(net.id, str(cidr)), "ip_address": str(ip)})
    return {"id": p.id, "name": p.name, "network_id": p.network_id, "binding:host_id": p.node,
            "mac_address": p.mac, "fixed_ips": fixed, "device_owner": p.device_owner,
            "device_id": p.router_id or "", "status": "ACTIVE", "admin_state_up": True}


def node(n: Node, bridges: dict[str, bool]) -> dict:
    return {"name": n.name, "role": n.role, "management_ip": str(n.management_ip),
            "tunnel_ip": str(n.tunnel_ip),
            "bridges": {b: ("connected" if up else "disconnected")
                        for b, up in sorted(bridges.items())}}
