"""`overlay`: the command-line client of the controller's API, in the spirit of the neutron
client of seed 000:

    overlay net-create TenantC-Net --type gre [--segmentation-id 77]
    overlay net-create TenantG-Net --type vlan --physical-network physnet1 [--segmentation-id 150]
    overlay subnet-create TenantC-Net 10.2.0.0/24 [--gateway G] [--no-dhcp] [--name N]
    overlay port-create TenantC-Net [--host compute2] [--name vm-c2] [--mac M] [--ip IP]
    overlay port-update PORT --host compute1          (bind, or a move)
    overlay net-list | subnet-list | port-list | node-list
    overlay net-show NET | port-show PORT
    overlay net-delete NET | subnet-delete SUBNET | port-delete PORT
    overlay router-create TenantA-R1 [--external Ext-Net]
    overlay router-gateway-set ROUTER Ext-Net | router-gateway-clear ROUTER
    overlay router-interface-add ROUTER SUBNET-OR-NETWORK | router-interface-remove ...
    overlay floatingip-create Ext-Net [--port PORT] [--ip IP]
    overlay router-list | floatingip-list | router-show R | router-delete R | floatingip-delete F

The `openstack` client does all of this too (see the README); this command stays for what it
has no verb for (node-list) and for a quick look without a clouds.yaml. The API address comes
from --url, else $OVERLAY_URL, else http://192.168.10.1:9696/v2.0 (the seed cloud's
controller); the token (auth_strategy = token) from --token, else $OVERLAY_TOKEN. Refusals
print the API's message and exit with status 1.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from cloud.model import NETWORK_TYPES
from controller import graph
from controller.client import ApiError, Client
from flows import trace

DEFAULT_URL = "http://192.168.10.1:9696/v2.0"

COLUMNS = {
    "networks": ("id", "name", "provider:network_type", "provider:physical_network",
                 "provider:segmentation_id", "subnets"),
    "subnets": ("id", "network_id", "cidr", "gateway_ip"),
    "ports": ("id", "name", "binding:host_id", "mac_address", "fixed_ips"),
    "nodes": ("name", "role", "management_ip", "tunnel_ip", "bridges"),
    "routers": ("id", "name", "external_gateway_info"),
    "floatingips": ("id", "floating_ip_address", "fixed_ip_address", "port_id", "router_id"),
}


def _cell(value) -> str:
    if isinstance(value, list):
        return ", ".join(v["ip_address"] if isinstance(v, dict) and "ip_address" in v
                         else str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return "" if value is None else str(value)


def table(rows: list[dict], columns: tuple[str, ...]) -> str:
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    def row_text(values) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"
    out = [line, row_text(columns), line] + [row_text(row) for row in cells]
    return "\n".join(out + [line])


def show(obj: dict) -> str:
    return table([{"field": k, "value": _cell(v)} for k, v in obj.items()], ("field", "value"))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="overlay", description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=os.environ.get("OVERLAY_URL", DEFAULT_URL))
    p.add_argument("--token", default=os.environ.get("OVERLAY_TOKEN", ""),
                   help="X-Auth-Token for an API with auth_strategy = token")
    p.add_argument("--json", action="store_true", help="print the API's JSON")
    sub = p.add_subparsers(dest="command", required=True)
    for coll, short in (("networks", "net"), ("subnets", "subnet"), ("ports", "port"),
                        ("nodes", "node"), ("routers", "router"), ("floatingips", "floatingip")):
        sub.add_parser(f"{short}-list").set_defaults(coll=coll, verb="list")
        if coll != "nodes":
            for verb in ("show", "delete"):
                sp = sub.add_parser(f"{short}-{verb}")
                sp.add_argument("ident")
                sp.set_defaults(coll=coll, verb=verb)
    nc = sub.add_parser("net-create")
    nc.add_argument("name")
    nc.add_argument("--type", default="vxlan", choices=NETWORK_TYPES)
    nc.add_argument("--segmentation-id", type=int)
    nc.add_argument("--physical-network", help="a vlan or flat network's physnet")
    nc.set_defaults(coll="networks", verb="create")
    sc = sub.add_parser("subnet-create")
    sc.add_argument("network")
    sc.add_argument("cidr")
    sc.add_argument("--gateway")
    sc.add_argument("--name")
    sc.add_argument("--no-dhcp", dest="dhcp", action="store_false")
    sc.set_defaults(coll="subnets", verb="create")
    pc = sub.add_parser("port-create")
    pc.add_argument("network")
    pc.add_argument("--host", help="the node the port is bound to (none: unbound)")
    pc.add_argument("--name")
    pc.add_argument("--mac")
    pc.add_argument("--ip", action="append", help="a fixed IP (repeat for IPv4 and IPv6)")
    pc.set_defaults(coll="ports", verb="create")
    pu = sub.add_parser("port-update")
    pu.add_argument("ident")
    pu.add_argument("--host", help="rebind (move) the port to this node")
    pu.add_argument("--name")
    pu.set_defaults(coll="ports", verb="update")
    _l3_parsers(sub)
    tr = sub.add_parser("trace", help="follow a packet through every node it crosses")
    tr.add_argument("source", help="a port (name or id), or NODE:PORT for a packet arriving "
                    "on a tunnel (compute1:vxlan-c0a8640c) or a physical NIC (compute1:eth3)")
    tr.add_argument("packet", help="as ovs-ofctl writes a flow: icmp,nw_dst=10.0.0.6 | "
                    "tcp,nw_dst=10.0.0.6,tp_dst=22 | arp,arp_tpa=10.0.0.1 | icmp6,ipv6_dst=...")
    tr.add_argument("--verify", action="store_true", help="also run ovs-appctl ofproto/trace "
                    "on every node the packet enters (root, on the machine of the emulated "
                    "cloud) and report any difference")
    tr.set_defaults(coll="traces", verb="trace")
    gr = sub.add_parser("graph", help="draw the cloud (Graphviz)")
    gr.add_argument("-o", "--output", default="cloud.svg",
                    help="the picture: .svg, .png or .dot (default cloud.svg)")
    gr.add_argument("--counters", action="store_true", help="annotate tunnels and ports with "
                    "packet counts from the switches (root, on the emulated cloud's machine)")
    gr.set_defaults(coll="cloud", verb="graph")
    return p


def _l3_parsers(sub) -> None:
    rc = sub.add_parser("router-create")
    rc.add_argument("name")
    rc.add_argument("--external", help="set the gateway on this external network")
    rc.set_defaults(coll="routers", verb="create")
    gs = sub.add_parser("router-gateway-set")
    gs.add_argument("ident")
    gs.add_argument("external")
    gs.set_defaults(coll="routers", verb="gateway")
    gc = sub.add_parser("router-gateway-clear")
    gc.add_argument("ident")
    gc.set_defaults(coll="routers", verb="gateway", external=None)
    for action in ("add", "remove"):
        ia = sub.add_parser(f"router-interface-{action}")
        ia.add_argument("ident")
        ia.add_argument("subnet", help="a subnet id, or a network (its IPv4 subnet)")
        ia.set_defaults(coll="routers", verb=f"{action}_router_interface")
    fc = sub.add_parser("floatingip-create")
    fc.add_argument("external")
    fc.add_argument("--port", help="associate it with this port (none: unassociated)")
    fc.add_argument("--ip")
    fc.set_defaults(coll="floatingips", verb="create")


def _subnet(client: Client, ident: str) -> str:
    """A subnet id as given, or the IPv4 subnet of the named network."""
    subnets = client.list("subnets")
    if any(s["id"] == ident for s in subnets):
        return ident
    net = resolve(client, "networks", ident)
    v4 = [s["id"] for s in subnets if s["network_id"] == net and s["ip_version"] == 4]
    return v4[0] if v4 else ident


def _create_attrs(args) -> dict:
    if args.coll == "networks":
        attrs = {"name": args.name, "provider:network_type": args.type}
        if args.segmentation_id is not None:
            attrs["provider:segmentation_id"] = args.segmentation_id
        if args.physical_network is not None:
            attrs["provider:physical_network"] = args.physical_network
    elif args.coll == "subnets":
        attrs = {"network_id": args.network, "cidr": args.cidr}
        if args.gateway:
            attrs["gateway_ip"] = args.gateway
        if args.name:
            attrs["name"] = args.name
        if not args.dhcp:
            attrs["enable_dhcp"] = False
    elif args.coll == "routers":
        attrs = {"name": args.name}
        if args.external:
            attrs["external_gateway_info"] = {"network_id": args.external}
    elif args.coll == "floatingips":
        attrs = {"floating_network_id": args.external}
        if args.port:
            attrs["port_id"] = args.port
        if args.ip:
            attrs["floating_ip_address"] = args.ip
    else:
        attrs = {"network_id": args.network}
        for key, value in (("name", args.name), ("mac_address", args.mac),
                           ("binding:host_id", args.host)):
            if value:
                attrs[key] = value
        if args.ip:
            attrs["fixed_ips"] = [{"ip_address": ip} for ip in args.ip]
    return attrs


def resolve(client: Client, coll: str, ident: str) -> str:
    """An id, or the name of exactly one object (as the neutron client resolves names)."""
    rows = client.list(coll)
    if any(r["id"] == ident for r in rows):
        return ident
    named = [r["id"] for r in rows if r.get("name") == ident]
    if len(named) == 1:
        return named[0]
    if named:
        raise ApiError(409, "Conflict", f"Multiple {coll} match the name {ident}; use an id.")
    return ident  # the API says it is unknown


def run_trace(args, client: Client) -> str:
    found = client.request("POST", "/traces", {"trace": {"from": args.source,
                                                         "packet": args.packet}})["trace"]
    out = json.dumps(found, indent=1) if args.json else trace.text(found)
    if args.verify:
        from mininet_topos import trace_check   # (needs the emulated cloud's run directory)
        name = client.cloud()["cloud"]["cloud"]
        differences = trace_check.verify(found, trace_check.node_switches(name))
        out += "\n" + ("verify: ofproto/trace agrees on every node" if not differences else
                       "verify: DIFFERENT\n" + "\n".join(f"  {d}" for d in differences))
    return out


def run_graph(args, client: Client) -> str:
    from cloud import schema
    cloud = schema.parse(client.cloud()["cloud"], args.url)
    counts = None
    if args.counters:
        from mininet_topos import counters, trace_check   # (the emulated cloud's switches)
        counts = counters.counters(cloud, trace_check.node_switches(cloud.name))
    graph.draw(graph.dot(cloud, counts), args.output)
    return (f"{args.output}: {len(cloud.nodes)} nodes, {len(cloud.networks)} networks, "
            f"{len(cloud.ports)} bound ports, {len(graph.tunnel_ids(cloud))} tunnels, "
            f"{len(cloud.routers)} routers, {len(cloud.floating_ips)} floating IPs")


def run(args, client: Client) -> str:
    if args.verb == "trace":
        return run_trace(args, client)
    if args.verb == "graph":
        return run_graph(args, client)
    if getattr(args, "ident", None) and args.coll in ("networks", "ports", "routers"):
        args.ident = resolve(client, args.coll, args.ident)
    for key in ("external",):
        if getattr(args, key, None):
            setattr(args, key, resolve(client, "networks", getattr(args, key)))
    if getattr(args, "port", None) and args.coll == "floatingips":
        args.port = resolve(client, "ports", args.port)
    if getattr(args, "network", None) and args.verb == "create":
        args.network = resolve(client, "networks", args.network)
    if args.verb.endswith("_router_interface"):
        obj = client.request("PUT", f"/routers/{args.ident}/{args.verb}",
                             {"subnet_id": _subnet(client, args.subnet)})
        return json.dumps(obj, indent=1) if args.json else show(obj)
    if args.verb == "gateway":
        info = {"network_id": args.external} if args.external else {}
        obj = client.update("routers", args.ident, external_gateway_info=info)
        return json.dumps(obj, indent=1) if args.json else show(obj)
    if args.verb == "list":
        rows = client.list(args.coll)
        return json.dumps(rows, indent=1) if args.json else table(rows, COLUMNS[args.coll])
    if args.verb == "delete":
        client.delete(args.coll, args.ident)
        return f"Deleted {args.coll[:-1]}: {args.ident}"
    if args.verb == "show":
        obj = client.show(args.coll, args.ident)
    elif args.verb == "create":
        obj = client.create(args.coll, **_create_attrs(args))
    else:
        attrs = {k: v for k, v in (("binding:host_id", args.host), ("name", args.name)) if v}
        obj = client.update(args.coll, args.ident, **attrs)
    return json.dumps(obj, indent=1) if args.json else show(obj)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        print(run(args, Client(args.url, token=args.token)))
    except ApiError as exc:
        print(f"{exc.kind}: {exc.message}", file=sys.stderr)
        return 1
    except (RuntimeError, ValueError) as exc:   # (graph: no dot; a picture name)
        print(f"overlay {args.command}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cannot reach the API at {args.url}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
