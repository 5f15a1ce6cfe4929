"""A small client of the controller's REST API (urllib, no dependencies): what the `overlay`
command and the tests use."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


AGENT_HEADER = "X-Overlay-Agent-Host"   # the network node's agent, reading the cloud


class ApiError(Exception):
    def __init__(self, status: int, kind: str, message: str):
        self.status, self.kind, self.message = status, kind, message
        super().__init__(f"{status} {kind}: {message}")


class Client:
    def __init__(self, url: str, timeout: float = 30.0, token: str = "",
                 agent_host: str = ""):
        """token: X-Auth-Token (auth_strategy = token); agent_host: this client is the
        network node agent of that host (its reads of the cloud are its heartbeat)."""
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            self.headers["X-Auth-Token"] = token
        if agent_host:
            self.headers[AGENT_HEADER] = agent_host

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers=self.headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                text = resp.read()
        except urllib.error.HTTPError as exc:
            try:
                err = json.loads(exc.read())["NeutronError"]
                raise ApiError(exc.code, err.get("type", ""), err.get("message", "")) from None
            except (ValueError, KeyError, TypeError):
                raise ApiError(exc.code, "Error", str(exc)) from None
        return json.loads(text) if text else None

    # Neutron-style verbs -------------------------------------------------------------
    def list(self, coll: str) -> list[dict]:
        return self.request("GET", f"/{coll}")[coll]

    def show(self, coll: str, ident: str) -> dict:
        return self.request("GET", f"/{coll}/{ident}")[coll[:-1]]

    def create(self, coll: str, **attrs) -> dict:
        kind = coll[:-1]
        return self.request("POST", f"/{coll}", {kind: attrs})[kind]

    def update(self, coll: str, ident: str, **attrs) -> dict:
        kind = coll[:-1]
        return self.request("PUT", f"/{coll}/{ident}", {kind: attrs})[kind]

    def delete(self, coll: str, ident: str) -> None:
        self.request("DELETE", f"/{coll}/{ident}")

    def cloud(self) -> dict:
        """The whole current cloud document (the cloud file's shape) and its version."""
        return self.request("GET", "/cloud")
