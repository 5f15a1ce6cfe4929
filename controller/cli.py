"""`overlay`: the command-line client of the controller's API, in the spirit of the neutron
client of seed 000:

    overlay net-create TenantC-Net --type gre [--segmentation-id 77]
    overlay subnet-create TenantC-Net 10.2.0.0/24
    overlay port-create TenantC-Net --host compute2 [--name vm-c2] [--mac M] [--ip IP]
    overlay port-update PORT --host compute1          (a move)
    overlay net-list | subnet-list | port-list | node-list
    overlay net-show NET | port-show PORT
    overlay net-delete NET | subnet-delete SUBNET | port-delete PORT

The API address comes from --url, else $OVERLAY_URL, else http://192.168.10.1:9696/v2.0 (the
seed cloud's controller). Refusals print the API's message and exit with status 1.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from controller.client import ApiError, Client

DEFAULT_URL = "http://192.168.10.1:9696/v2.0"

COLUMNS = {
    "networks": ("id", "name", "provider:network_type", "provider:segmentation_id", "subnets"),
    "subnets": ("id", "network_id", "cidr", "gateway_ip"),
    "ports": ("id", "name", "binding:host_id", "mac_address", "fixed_ips"),
    "nodes": ("name", "role", "management_ip", "tunnel_ip", "bridges"),
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
    p.add_argument("--json", action="store_true", help="print the API's JSON")
    sub = p.add_subparsers(dest="command", required=True)
    for coll, short in (("networks", "net"), ("subnets", "subnet"), ("ports", "port"),
                        ("nodes", "node")):
        sub.add_parser(f"{short}-list").set_defaults(coll=coll, verb="list")
        if coll != "nodes":
            for verb in ("show", "delete"):
                sp = sub.add_parser(f"{short}-{verb}")
                sp.add_argument("ident")
                sp.set_defaults(coll=coll, verb=verb)
    nc = sub.add_parser("net-create")
    nc.add_argument("name")
    nc.add_argument("--type", default="vxlan", choices=("vxlan", "gre"))
    nc.add_argument("--segmentation-id", type=int)
    nc.set_defaults(coll="networks", verb="create")
    sc = sub.add_parser("subnet-create")
    sc.add_argument("network")
    sc.add_argument("cidr")
    sc.add_argument("--gateway")
    sc.set_defaults(coll="subnets", verb="create")
    pc = sub.add_parser("port-create")
    pc.add_argument("network")
    pc.add_argument("--host", required=True, help="the node the port is bound to")
    pc.add_argument("--name")
    pc.add_argument("--mac")
    pc.add_argument("--ip", action="append", help="a fixed IP (repeat for IPv4 and IPv6)")
    pc.set_defaults(coll="ports", verb="create")
    pu = sub.add_parser("port-update")
    pu.add_argument("ident")
    pu.add_argument("--host", help="rebind (move) the port to this node")
    pu.add_argument("--name")
    pu.set_defaults(coll="ports", verb="update")
    return p


def _create_attrs(args) -> dict:
    if args.coll == "networks":
        attrs = {"name": args.name, "provider:network_type": args.type}
        if args.segmentation_id is not None:
            attrs["provider:segmentation_id"] = args.segmentation_id
    elif args.coll == "subnets":
        attrs = {"network_id": args.network, "cidr": args.cidr}
        if args.gateway:
            attrs["gateway_ip"] = args.gateway
    else:
        attrs = {"network_id": args.network, "binding:host_id": args.host}
        for key, value in (("name", args.name), ("mac_address", args.mac)):
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


def run(args, client: Client) -> str:
    if getattr(args, "ident", None) and args.coll in ("networks", "ports"):
        args.ident = resolve(client, args.coll, args.ident)
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
        print(run(args, Client(args.url)))
    except ApiError as exc:
        print(f"{exc.kind}: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cannot reach the API at {args.url}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
