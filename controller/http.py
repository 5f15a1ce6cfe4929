"""The API's front door, as Neutron's WSGI pipeline has it: authentication, request bodies
(JSON only, at most Neutron's max_request_body_size, not nested too deep), errors in Neutron's
shape, the version documents the clients discover first, and the list of extensions.

    GET /                     {"versions": [{"id": "v2.0", "status": "CURRENT", ...}]}
    GET /v2.0                 {"resources": [{"name", "collection", "links"}, ...]}
    GET /v2.0/extensions      the extensions this API implements, and only those
    GET /v2.0/extensions/A    one of them, or 404

Authentication ([overlay] auth_strategy): `noauth` takes every request; `token` wants the
header X-Auth-Token equal to [overlay] auth_token (what keystoneauth's admin_token plugin
sends: `openstack --os-auth-type admin_token --os-token SECRET --os-endpoint URL`), else 401.
The version document at / is open, as Neutron's is.
"""
from __future__ import annotations

import hmac
import json
import logging
from typing import Any

import webob

from cloud.attributes import RESOURCES, path
from cloud.errors import Refused

LOG = logging.getLogger("overlay.api")
MAX_BODY = 114688            # Neutron's max_request_body_size
MAX_DEPTH = 32               # nesting of a request body's JSON
ERROR_TYPES = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound", 405: "MethodNotAllowed",
               409: "Conflict", 413: "RequestEntityTooLarge", 415: "UnsupportedMediaType",
               500: "HTTPInternalServerError"}
INTERNAL = "Request Failed: internal server error while processing your request."
UPDATED = "2026-11-30T00:00:00-00:00"

# (alias, name, description): what this API implements, honestly
EXTENSIONS = (
    ("agent", "agent", "The agents of the emulated nodes (read-only)."),
    ("availability_zone", "Availability Zone", "One zone, nova."),
    ("network_availability_zone", "Network Availability Zone",
     "availability_zones of networks (hints: none)."),
    ("router_availability_zone", "Router Availability Zone",
     "availability_zones of routers (hints: none)."),
    ("binding", "Port Binding", "binding:host_id, binding:profile; vnic_type normal, "
     "vif_type ovs."),
    ("external-net", "Neutron external network", "router:external (one, from the cloud "
     "file)."),
    ("ext-gw-mode", "Neutron L3 Configurable external gateway mode", "enable_snat."),
    ("filter-validation", "Filter parameters validation", "Unknown filters are refused."),
    ("ip-substring-filtering", "IP address substring filtering",
     "fixed_ips=ip_address_substr=..."),
    ("l2_adjacency", "L2 Adjacency", "Every network is one L2 domain."),
    ("net-mtu", "Network MTU", "mtu of networks."),
    ("net-mtu-writable", "Network MTU (writable)", "mtu up to what the underlay fits."),
    ("pagination", "Pagination support", "limit, marker, page_reverse."),
    ("port-security", "Port Security", "port_security_enabled of ports (false: no "
     "anti-spoofing, no security groups; networks: true only)."),
    ("security-group", "security-group", "Security groups and rules, in br-int with "
     "conntrack (Neutron's openvswitch firewall)."),
    ("stateful-security-group", "Stateful security group", "stateful (a stateless group is "
     "enforced statefully, as Neutron's openvswitch firewall does)."),
    ("allowed-address-pairs", "Allowed Address Pairs", "allowed_address_pairs of ports."),
    ("project-id", "project_id field enabled", "project_id beside tenant_id."),
    ("provider", "Provider Network", "vxlan, gre, vlan and flat networks."),
    ("router", "Neutron L3 Router", "Legacy routers on the network node, floating IPs."),
    ("sorting", "Sorting support", "sort_key, sort_dir."),
    ("standard-attr-description", "standard-attr-description", "description."),
    ("standard-attr-revisions", "Resource revision numbers", "revision_number."),
    ("standard-attr-tag", "Tag support for resources with standard attribute",
     "tags on networks, subnets, ports, routers, floating IPs and security groups."),
    ("standard-attr-timestamp", "Resource timestamps", "created_at, updated_at."),
)


def error(status: int, message: str) -> webob.Response:
    body = {"NeutronError": {"type": ERROR_TYPES.get(status, "Error"), "message": message,
                             "detail": ""}}
    return webob.Response(status=status, json_body=body, charset="utf-8")


def authorized(req: webob.Request, strategy: str, token: str) -> bool:
    if strategy == "noauth" or req.path_info in ("", "/"):
        return True
    given = req.headers.get("X-Auth-Token", "")
    return bool(token) and hmac.compare_digest(given.encode(), token.encode())


def unauthorized() -> webob.Response:
    body = {"error": {"code": 401, "title": "Unauthorized",
                      "message": "The request you have made requires authentication."}}
    resp = webob.Response(status=401, json_body=body, charset="utf-8")
    resp.headers["WWW-Authenticate"] = "Keystone uri='none'"
    return resp


def _depth(value: Any, limit: int) -> int:
    """How deep a parsed JSON value nests (stops counting past limit)."""
    stack, deepest = [(value, 1)], 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack += [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            stack += [(v, depth + 1) for v in item]
    return deepest


def body(req: webob.Request) -> Any:
    """The request's JSON body: 415 unless it is JSON, 413 when over MAX_BODY, 400 when
    malformed or nested deeper than MAX_DEPTH."""
    length = req.content_length
    if length is not None and length > MAX_BODY:
        raise Refused(413, f"Request body of {length} bytes is larger than the limit of "
                      f"{MAX_BODY} (max_request_body_size).")
    raw = req.body_file.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise Refused(413, f"Request body is larger than the limit of {MAX_BODY} bytes "
                      "(max_request_body_size).")
    if not raw.strip():
        return None
    kind = (req.content_type or "").lower()
    if kind not in ("application/json", ""):
        raise Refused(415, f"Unsupported Content-Type {kind!r}: this API takes "
                      "application/json.")
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise Refused(400, f"Malformed request body: {str(exc)[:200]}") from None
    if _depth(value, MAX_DEPTH) > MAX_DEPTH:
        raise Refused(400, f"Malformed request body: nested deeper than {MAX_DEPTH} levels.")
    return value


def versions(req: webob.Request) -> dict:
    return {"versions": [{"id": "v2.0", "status": "CURRENT",
                          "links": [{"rel": "self", "href": f"{req.host_url}/v2.0/"}]}]}


def resources(req: webob.Request) -> dict:
    return {"resources": [{"name": kind, "collection": coll,
                           "links": [{"rel": "self",
                                      "href": f"{req.host_url}/v2.0/{path(coll)}"}]}
                          for coll, (kind, _) in RESOURCES.items()]}


def extension(alias: str, name: str, description: str) -> dict:
    return {"alias": alias, "name": name, "description": description, "updated": UPDATED,
            "links": []}


def extensions(alias: str | None) -> dict:
    if alias is None:
        return {"extensions": [extension(*e) for e in EXTENSIONS]}
    found = next((e for e in EXTENSIONS if e[0] == alias), None)
    if found is None:
        raise Refused(404, f"Extension with alias {alias} does not exist")
    return {"extension": extension(*found)}
