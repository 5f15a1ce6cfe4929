"""The northbound REST API, shaped like Neutron's v2.0: networks, subnets, ports, routers
(with add_router_interface / remove_router_interface), floating IPs, and read-only nodes. JSON in and out; errors as Neutron returns them ({"NeutronError": {...}} with 400, 404
or 409). Served by eventlet's WSGI server inside the controller process; every change goes
through the Keeper (validated, persisted, then programmed).
"""
from __future__ import annotations

import json
import logging
from typing import Callable

import webob
import webob.dec
from routes import Mapper

from cloud import neutron, ops, ops_l3
from cloud.ops import Refused
from controller.keeper import Keeper

LOG = logging.getLogger("overlay.api")
ERROR_TYPES = {400: "BadRequest", 404: "NotFound", 409: "Conflict", 405: "MethodNotAllowed"}


def _error(status: int, message: str) -> webob.Response:
    body = {"NeutronError": {"type": ERROR_TYPES.get(status, "Error"), "message": message,
                             "detail": ""}}
    return webob.Response(status=status, json_body=body, charset="utf-8")


class Api:
    def __init__(self, keeper: Keeper, bridges: Callable[[str], dict[str, bool]]):
        """bridges(node) -> {bridge: connected?} for the read-only nodes resource."""
        self.keeper = keeper
        self.bridges = bridges
        self.mapper = Mapper()
        for action in ("add_router_interface", "remove_router_interface"):
            self.mapper.connect(f"/v2.0/routers/{{ident}}/{action}", coll="routers",
                                action=action)
        for coll in ("networks", "subnets", "ports", "routers", "floatingips", "nodes"):
            self.mapper.connect(f"/v2.0/{coll}", coll=coll)
            self.mapper.connect(f"/v2.0/{coll}.json", coll=coll)
            self.mapper.connect(f"/v2.0/{coll}/{{ident}}", coll=coll)
        self.mapper.connect("/v2.0/cloud", coll="cloud")

    # ----------------------------------------------------------------------------- WSGI
    @webob.dec.wsgify
    def __call__(self, req: webob.Request) -> webob.Response:
        route = self.mapper.match(req.path_info)
        if route is None:
            return _error(404, f"The resource could not be found: {req.path_info}")
        try:
            ident = route.get("ident")
            if route.get("action"):
                return self._interface(req, route["action"], ident)
            return self._dispatch(req, route["coll"], ident, ident is not None)
        except Refused as exc:
            LOG.info("%s %s refused (%d): %s", req.method, req.path_info, exc.status,
                     exc.message)
            return _error(exc.status, exc.message)

    def _body(self, req: webob.Request):
        try:
            return json.loads(req.body or b"null")
        except ValueError as exc:
            raise Refused(400, f"Malformed request body: {exc}") from None

    def _dispatch(self, req, coll: str, ident: str | None, item: bool) -> webob.Response:
        method = req.method
        if coll in ("nodes", "cloud") and method != "GET":
            raise Refused(405, f"{coll} are read-only")
        if method == "GET":
            return self._show(coll, ident) if item else self._list(coll)
        if method == "POST" and not item:
            return self._create(coll, self._body(req))
        if method == "PUT" and item and coll in ("networks", "ports", "routers"):
            body = self._body(req)
            update = {"networks": ops.update_network, "ports": ops.update_port,
                      "routers": ops_l3.update_router}[coll]
            self.keeper.change(lambda d: update(d, ident, body), f"update {coll[:-1]} {ident}")
            return webob.Response(json_body={coll[:-1]: self._get(coll, ident)}, status=200)
        if method == "DELETE" and item:
            delete = {"networks": ops.delete_network, "subnets": ops.delete_subnet,
                      "ports": ops.delete_port, "routers": ops_l3.delete_router,
                      "floatingips": ops_l3.delete_floating_ip}[coll]
            self.keeper.change(lambda d: delete(d, ident), f"delete {coll[:-1]} {ident}")
            return webob.Response(status=204)
        raise Refused(405, f"{method} is not allowed on {req.path_info}")

    def _interface(self, req, action: str, ident: str) -> webob.Response:
        """PUT /routers/ID/add_router_interface or remove_router_interface."""
        if req.method != "PUT":
            raise Refused(405, f"{req.method} is not allowed on {req.path_info}")
        body = self._body(req)
        change = ops_l3.add_interface if action.startswith("add") else ops_l3.remove_interface
        result = self.keeper.change(lambda d: change(d, ident, body), f"{action} {ident}")
        return webob.Response(json_body=result, status=200)

    # -------------------------------------------------------------------------- reading
    def _all(self, coll: str) -> list[dict]:
        cloud = self.keeper.cloud
        ext = cloud.external
        if coll == "networks":
            return [neutron.network(n) for n in cloud.networks] + (
                [neutron.external_network(ext)] if ext else [])
        if coll == "subnets":
            return [s for n in cloud.networks for s in neutron.subnets_of(n)] + (
                [neutron.external_subnet(ext)] if ext else [])
        if coll == "ports":
            return [neutron.port(cloud, p) for p in cloud.ports]
        if coll == "routers":
            return [neutron.router(cloud, r) for r in cloud.routers]
        if coll == "floatingips":
            return [neutron.floating_ip(cloud, f) for f in cloud.floating_ips]
        return [neutron.node(n, self.bridges(n.name)) for n in cloud.nodes]

    def _get(self, coll: str, ident: str) -> dict:
        key = "name" if coll == "nodes" else "id"
        for obj in self._all(coll):
            if obj[key] == ident:
                return obj
        raise ops.not_found(coll[:-1], ident)

    def _list(self, coll: str) -> webob.Response:
        if coll == "cloud":
            return webob.Response(json_body={"version": self.keeper.version,
                                             "cloud": self.keeper.doc})
        return webob.Response(json_body={coll: self._all(coll)})

    def _show(self, coll: str, ident: str) -> webob.Response:
        return webob.Response(json_body={coll[:-1]: self._get(coll, ident)})

    # -------------------------------------------------------------------------- writing
    def _create(self, coll: str, body) -> webob.Response:
        create = {"networks": ops.create_network, "subnets": ops.create_subnet,
                  "ports": ops.create_port, "routers": ops_l3.create_router,
                  "floatingips": ops_l3.create_floating_ip}[coll]
        ident = self.keeper.change(lambda d: create(d, body), f"create {coll[:-1]}")
        return webob.Response(json_body={coll[:-1]: self._get(coll, ident)}, status=201)
