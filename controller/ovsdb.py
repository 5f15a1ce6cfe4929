"""Tunnel ports through a node's OVSDB (RFC 7047 JSON-RPC over TCP, the manager port).

A deliberately small client: one connection per reconcile, `transact` only, answering the
server's echo requests. Under osken-manager the socket is eventlet-green. The reconcile reads
br-tun's ports, then in one transaction (guarded by a `wait` on the bridge's port set, so a
concurrent change makes it fail instead of clobbering) adds missing tunnel ports, fixes ports
whose type or options differ, and deletes tunnel ports no longer wanted. Ports that are not
tunnel ports by name (patch-int, br-tun) are never touched.
"""
from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field

from cloud.naming import BR_TUN, parse_tunnel_port_name
from flows.tunnels import TunnelSpec

DB = "Open_vSwitch"


class OvsdbError(Exception):
    pass


def _atoms(value) -> list:
    """OVSDB set notation: ["set", [a, b]] or a bare atom for a one-element set."""
    if isinstance(value, list) and value and value[0] == "set":
        return value[1]
    return [value]


def _map(value) -> dict:
    return dict(value[1]) if isinstance(value, list) and value and value[0] == "map" else {}


class OvsdbClient:
    """target: "tcp:IP:PORT" (a node's manager port) or "unix:PATH"."""

    def __init__(self, target: str, timeout: float = 5.0):
        self.target = target
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._buf = ""
        self._next_id = 0

    def __enter__(self) -> OvsdbClient:
        kind, _, rest = self.target.partition(":")
        if kind == "tcp":
            host, _, port = rest.rpartition(":")
            self._sock = socket.create_connection((host, int(port)), timeout=self.timeout)
        elif kind == "unix":
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._sock.settimeout(self.timeout)
            self._sock.connect(rest)
        else:
            raise OvsdbError(f"unsupported OVSDB target {self.target!r}")
        return self

    def __exit__(self, *exc) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _send(self, message: dict) -> None:
        self._sock.sendall(json.dumps(message).encode())

    def _receive(self) -> dict:
        decoder = json.JSONDecoder()
        while True:
            text = self._buf.lstrip()
            if text:
                try:
                    message, end = decoder.raw_decode(text)
                    self._buf = text[end:]
                    return message
                except json.JSONDecodeError:
                    pass
            chunk = self._sock.recv(65536)
            if not chunk:
                raise OvsdbError(f"{self.target}: OVSDB closed the connection")
            self._buf += chunk.decode()

    def transact(self, *ops: dict) -> list:
        self._next_id += 1
        request_id = self._next_id
        self._send({"method": "transact", "params": [DB, *ops], "id": request_id})
        while True:
            message = self._receive()
            if message.get("method") == "echo":
                self._send({"result": message.get("params", []), "error": None,
                            "id": message.get("id")})
                continue
            if message.get("id") != request_id:
                continue
            if message.get("error"):
                raise OvsdbError(f"{self.target}: {message['error']}")
            results = message["result"]
            failed = [r for r in results if isinstance(r, dict) and r.get("error")]
            if failed:
                raise OvsdbError(f"{self.target}: {failed[0].get('error')}: "
                                 f"{failed[0].get('details', '')}")
            return results


@dataclass
class TunnelChanges:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def _options_row(spec: TunnelSpec) -> dict:
    return {"type": spec.type, "options": ["map", sorted(spec.interface_options().items())]}


def reconcile_tunnels(client: OvsdbClient, desired: dict[str, TunnelSpec]) -> TunnelChanges:
    """Make br-tun's tunnel ports exactly `desired` (by name, type and options)."""
    bridge, ports, ifaces = client.transact(
        {"op": "select", "table": "Bridge", "where": [["name", "==", BR_TUN]],
         "columns": ["_uuid", "ports"]},
        {"op": "select", "table": "Port", "where": [], "columns": ["_uuid", "name", "interfaces"]},
        {"op": "select", "table": "Interface", "where": [],
         "columns": ["_uuid", "name", "type", "options"]})
    if not bridge["rows"]:
        raise OvsdbError(f"{client.target}: no bridge {BR_TUN}")
    br = bridge["rows"][0]
    br_ports = {tuple(p) for p in _atoms(br["ports"])}
    existing = {row["name"]: row for row in ports["rows"]
                if tuple(row["_uuid"]) in br_ports and parse_tunnel_port_name(row["name"])}
    iface_by_name = {row["name"]: row for row in ifaces["rows"]}

    changes = TunnelChanges()
    ops: list[dict] = [{"op": "wait", "table": "Bridge", "timeout": 0,
                        "where": [["_uuid", "==", br["_uuid"]]], "columns": ["ports"],
                        "until": "==", "rows": [{"ports": br["ports"]}]},
                       {"op": "comment", "comment": "neutron-overlay: br-tun tunnel ports"}]
    insert, delete = [], []
    for name, spec in sorted(desired.items()):
        if name not in existing:
            ops.append({"op": "insert", "table": "Interface", "uuid-name": f"i{len(insert)}",
                        "row": {"name": name, **_options_row(spec)}})
            ops.append({"op": "insert", "table": "Port", "uuid-name": f"p{len(insert)}",
                        "row": {"name": name, "interfaces": ["named-uuid", f"i{len(insert)}"]}})
            insert.append(["named-uuid", f"p{len(insert)}"])
            changes.added.append(name)
            continue
        iface = iface_by_name.get(name)
        want = _options_row(spec)
        if iface is None or iface["type"] != want["type"] or \
                _map(iface["options"]) != dict(want["options"][1]):
            ops.append({"op": "update", "table": "Interface",
                        "where": [["name", "==", name]], "row": want})
            changes.updated.append(name)
    for name, row in sorted(existing.items()):
        if name not in desired:
            delete.append(row["_uuid"])
            changes.removed.append(name)
    mutations = []
    if insert:
        mutations.append(["ports", "insert", ["set", insert]])
    if delete:
        mutations.append(["ports", "delete", ["set", delete]])
    if mutations:
        ops.append({"op": "mutate", "table": "Bridge", "where": [["_uuid", "==", br["_uuid"]]],
                    "mutations": mutations})
    if changes:
        client.transact(*ops)
    return changes
