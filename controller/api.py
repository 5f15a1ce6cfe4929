"""The northbound REST API, Neutron's v2.0 as the `openstack` client and openstacksdk use it:
networks, subnets, ports, routers (with add_router_interface / remove_router_interface),
floating IPs, tags on each, read-only agents, availability zones, and this cloud's own
read-only nodes and whole document (GET /v2.0/cloud). Lists have Neutron's filters, fields,
sorting and pagination (cloud/query.py); bodies are converted and checked against Neutron's
attribute maps (cloud/attributes.py); the front door (auth, bodies, errors, versions,
extensions) is controller/http.py. Every change goes through the Keeper: validated,
persisted, then programmed. Served by eventlet's WSGI server in the controller process.
"""
from __future__ import annotations

import logging
import webob
import webob.dec
from routes import Mapper

from cloud import attributes, neutron, ops, ops_l3, ops_ports, ops_sg, ops_subnets, query
from cloud.errors import Refused, not_found
from controller import http
from controller.client import AGENT_HEADER
from controller.keeper import Keeper
from flows import cloudsim, trace
from flows.trace_packet import TraceError

LOG = logging.getLogger("overlay.api")
CHANGEABLE = ("networks", "subnets", "ports", "routers", "floatingips", "security_groups",
              "security_group_rules")
CREATE = {"networks": ops.create_network, "subnets": ops_subnets.create_subnet,
          "ports": ops_ports.create_port, "routers": ops_l3.create_router,
          "floatingips": ops_l3.create_floating_ip,
          "security_groups": ops_sg.create_security_group,
          "security_group_rules": ops_sg.create_security_group_rule}
UPDATE = {"networks": ops.update_network, "subnets": ops_subnets.update_subnet,
          "ports": ops_ports.update_port, "routers": ops_l3.update_router,
          "floatingips": ops_l3.update_floating_ip,
          "security_groups": ops_sg.update_security_group}
DELETE = {"networks": ops.delete_network, "subnets": ops_subnets.delete_subnet,
          "ports": ops_ports.delete_port, "routers": ops_l3.delete_router,
          "floatingips": ops_l3.delete_floating_ip,
          "security_groups": ops_sg.delete_security_group,
          "security_group_rules": ops_sg.delete_security_group_rule}


class Runtime:
    """What the API asks the controller: the bridges of a node ({bridge: connected?}),
    whether a device is a port of a bridge, and the agents' views."""

    def bridges(self, node: str) -> dict[str, bool]:
        return {}

    def plugged(self, node: str, bridge: str, device: str) -> bool:
        return False

    def agents(self) -> list[dict]:
        return []

    def heartbeat(self, host: str) -> None:
        """The network node's agent on `host` is following the cloud (it just read it)."""

    def states(self, cloud) -> dict:
        """Each node's local VLANs and port numbers (flows/view.NodeState), as the
        controller knows them; here, as a fresh controller would number a fresh OVS."""
        return cloudsim.fresh_states(cloud)


class Api:
    def __init__(self, keeper: Keeper, runtime: Runtime, auth_strategy: str = "noauth",
                 auth_token: str = ""):
        self.keeper = keeper
        self.runtime = runtime
        self.auth = (auth_strategy, auth_token)
        m = self.mapper = Mapper()
        m.connect("/", action="versions")
        for path in ("/v2.0", "/v2.0/"):
            m.connect(path, action="resources")
        m.connect("/v2.0/extensions", action="extensions")
        m.connect("/v2.0/extensions/{alias}", action="extensions")
        m.connect("/v2.0/cloud", action="cloud")
        m.connect("/v2.0/traces", action="trace")
        for act in ("add_router_interface", "remove_router_interface"):
            m.connect(f"/v2.0/routers/{{ident}}/{act}", coll="routers", action=act)
        for coll in attributes.TAGGED:
            url = attributes.path(coll)
            m.connect(f"/v2.0/{url}/{{ident}}/tags", coll=coll, action="tags")
            m.connect(f"/v2.0/{url}/{{ident}}/tags/{{tag}}", coll=coll, action="tags")
        for coll in attributes.RESOURCES:
            url = attributes.path(coll)
            for suffix in (".json", ""):   # (.json first: {ident} would swallow it)
                m.connect(f"/v2.0/{url}{suffix}", coll=coll, action="collection")
                m.connect(f"/v2.0/{url}/{{ident}}{suffix}", coll=coll, action="member")

    # ----------------------------------------------------------------------------- WSGI
    @webob.dec.wsgify
    def __call__(self, req: webob.Request) -> webob.Response:
        if not http.authorized(req, *self.auth):
            return http.unauthorized()
        try:
            route = self.mapper.match(req.path_info)
            if route is None:
                raise Refused(404, f"The resource could not be found: {req.path_info}")
            return self._route(req, route)
        except Refused as exc:
            LOG.info("%s %s refused (%d): %s", req.method, req.path_info, exc.status,
                     exc.message)
            return http.error(exc.status, exc.message)
        except Exception:  # a bug: the traceback goes to the log, never to the client
            LOG.exception("%s %s failed", req.method, req.path_info)
            return http.error(500, http.INTERNAL)

    def _route(self, req: webob.Request, route: dict) -> webob.Response:
        action = route["action"]
        if action in ("versions", "resources", "extensions", "cloud"):
            self._method(req, "GET")
            if action == "versions":
                return webob.Response(json_body=http.versions(req))
            if action == "resources":
                return webob.Response(json_body=http.resources(req))
            if action == "extensions":
                return webob.Response(json_body=http.extensions(route.get("alias")))
            if req.headers.get(AGENT_HEADER):
                self.runtime.heartbeat(req.headers[AGENT_HEADER])
            return webob.Response(json_body={"version": self.keeper.version,
                                             "cloud": self.keeper.doc})
        if action == "trace":
            self._method(req, "POST")
            return webob.Response(json_body={"trace": self._trace(http.body(req))})
        coll, ident = route.get("coll"), route.get("ident")
        if action == "tags":
            return self._tags(req, coll, ident, route.get("tag"))
        if action in ("add_router_interface", "remove_router_interface"):
            self._method(req, "PUT")
            op = ops_l3.add_interface if action.startswith("add") else ops_l3.remove_interface
            body = http.body(req)
            result = self.keeper.change(lambda d: op(d, ident, body), f"{action} {ident}")
            return webob.Response(json_body=result)
        if action == "collection":
            if req.method == "GET":
                return self._list(req, coll)
            self._method(req, "POST", changeable=coll)
            return self._create(coll, http.body(req))
        if req.method == "GET":
            return webob.Response(json_body={attributes.member(coll): self._get(coll, ident,
                                                                                req)})
        self._method(req, "PUT", "DELETE", changeable=coll)
        if req.method == "PUT" and coll not in UPDATE:
            raise Refused(405, f"PUT is not allowed on {req.path_info}")
        if req.method == "PUT":
            attrs = attributes.request(coll, http.body(req), update=True)
            self.keeper.change(lambda d: UPDATE[coll](d, ident, attrs),
                               f"update {attributes.member(coll)} {ident}",
                               in_place=coll == "ports")
            return webob.Response(json_body={attributes.member(coll): self._get(coll, ident)})
        self.keeper.change(lambda d: DELETE[coll](d, ident),
                           f"delete {attributes.member(coll)} {ident}", in_place=coll == "ports")
        return webob.Response(status=204)

    def _trace(self, body) -> dict:
        """POST /v2.0/traces {"trace": {"from": PORT or NODE:PORT, "packet": SPEC}}: the
        packet followed through the computed flows (flows/trace.py)."""
        spec = body.get("trace") if isinstance(body, dict) else None
        if not isinstance(spec, dict) or not isinstance(spec.get("from"), str) or \
                not isinstance(spec.get("packet"), str) or set(spec) - {"from", "packet"}:
            raise Refused(400, 'Bad trace request: expected {"trace": {"from": "<port or '
                          'node:port>", "packet": "<a flow as ovs-ofctl writes it, like '
                          'icmp,nw_dst=10.0.0.6>"}}')
        cloud = self.keeper.cloud
        try:
            return trace.trace(cloud, self.runtime.states(cloud), spec["from"],
                               spec["packet"]).as_dict()
        except TraceError as exc:
            raise Refused(400, f"Bad trace request: {exc}") from None

    @staticmethod
    def _method(req: webob.Request, *allowed: str, changeable: str | None = None) -> None:
        if req.method not in allowed or (changeable is not None and
                                         changeable not in CHANGEABLE):
            raise Refused(405, f"{req.method} is not allowed on {req.path_info}")

    # -------------------------------------------------------------------------- reading
    def context(self) -> neutron.Context:
        return neutron.Context(self.keeper.records, self.runtime.plugged)

    def _all(self, coll: str) -> list[dict]:
        if coll == "agents":
            return [neutron.ordered(coll, a) for a in self.runtime.agents()]
        if coll == "nodes":
            return [neutron.ordered(coll, neutron.node(n, self.runtime.bridges(n.name)))
                    for n in self.keeper.cloud.nodes]
        return neutron.collection(self.context(), self.keeper.cloud, coll)

    def _get(self, coll: str, ident: str, req: webob.Request | None = None) -> dict:
        if coll in ("agents", "nodes"):
            key = "name" if coll == "nodes" else "id"
            obj = next((o for o in self._all(coll) if o[key] == ident), None)
        else:
            obj = neutron.member(self.context(), self.keeper.cloud, coll, ident)
        if obj is None:
            if coll in ("security_groups", "security_group_rules"):   # Neutron's words
                kind = "Security group" + (" rule" if coll == "security_group_rules" else "")
                raise Refused(404, f"{kind} {ident} does not exist")
            raise not_found(attributes.member(coll), ident)
        return query.fields_of([obj], list(req.GET.items()) if req is not None else [])[0]

    def _list(self, req: webob.Request, coll: str) -> webob.Response:
        url = f"{req.host_url}/v2.0/{attributes.path(coll)}"
        items, links = query.select(coll, self._all(coll), list(req.GET.items()), url)
        out = {coll: items}
        if links:
            out[f"{coll}_links"] = links
        return webob.Response(json_body=out)

    # -------------------------------------------------------------------------- writing
    def _create(self, coll: str, body) -> webob.Response:
        if isinstance(body, dict) and coll in body:
            raise Refused(400, f"Bulk create ({coll!r} with a list) is not emulated by this "
                          f"cloud: create one {attributes.member(coll)} per request.")
        attrs = attributes.request(coll, body)
        ident = self.keeper.change(lambda d: CREATE[coll](d, attrs),
                                   f"create {attributes.member(coll)}", in_place=coll == "ports")
        return webob.Response(json_body={attributes.member(coll): self._get(coll, ident)},
                              status=201)

    def _tags(self, req: webob.Request, coll: str, ident: str, tag: str | None
              ) -> webob.Response:
        """Neutron's tag extension: GET/PUT/DELETE .../tags and .../tags/TAG."""
        current = self._get(coll, ident)["tags"]
        if req.method == "GET":
            if tag is None:
                return webob.Response(json_body={"tags": current})
            if tag not in current:
                raise Refused(404, f"Tag {tag} could not be found for {coll[:-1]} {ident}.")
            return webob.Response(status=204)
        if req.method == "PUT":
            if tag is None:
                given = http.body(req)
                if not isinstance(given, dict) or set(given) != {"tags"}:
                    raise Refused(400, "Request body must be {\"tags\": [...]}.")
                wanted, status = given["tags"], 200
            else:
                wanted, status = current + [tag], 201
        elif req.method == "DELETE":
            if tag is not None and tag not in current:
                raise Refused(404, f"Tag {tag} could not be found for {coll[:-1]} {ident}.")
            wanted, status = ([t for t in current if t != tag] if tag else []), 204
        else:
            raise Refused(405, f"{req.method} is not allowed on {req.path_info}")
        self.keeper.change(lambda d: ops.set_tags(d, coll, ident, wanted),
                           f"tags of {coll[:-1]} {ident}", in_place=coll == "ports")
        if status == 204:
            return webob.Response(status=204)
        if status == 201:
            return webob.Response(status=201)
        return webob.Response(json_body={"tags": self._get(coll, ident)["tags"]},
                              status=status)

