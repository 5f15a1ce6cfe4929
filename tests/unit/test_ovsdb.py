"""The OVSDB client and the tunnel reconcile (tier 1): JSON-RPC over a Unix socket to a
scripted server in a thread, and reconcile_tunnels against a fake br-tun."""
import json
import socket
import threading

import pytest

from controller.ovsdb import OvsdbClient, OvsdbError, reconcile_tunnels
from controller.sender import Replies
from flows.tunnels import TunnelSpec
from tests.support.fakeswitch import FakeDatapath, FakeOvsdb


class Server:
    """Answers each request with the next scripted reply: a list of raw byte chunks to send
    (the reply's JSON may be split), or a function of the request giving them."""

    def __init__(self, path, script):
        """path: a Unix socket's, or None for TCP on a free port of 127.0.0.1 (self.port)."""
        self.sock = socket.socket(socket.AF_UNIX if path else socket.AF_INET,
                                  socket.SOCK_STREAM)
        self.sock.bind(path or ("127.0.0.1", 0))
        self.port = None if path else self.sock.getsockname()[1]
        self.sock.listen(1)
        self.script = list(script)
        self.seen: list[dict] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        conn, _ = self.sock.accept()
        decoder, buf = json.JSONDecoder(), ""
        with conn:
            while self.script:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data.decode()
                while buf.strip():
                    try:
                        msg, end = decoder.raw_decode(buf.lstrip())
                    except json.JSONDecodeError:
                        break
                    buf = buf.lstrip()[end:]
                    self.seen.append(msg)
                    if "method" not in msg:
                        continue   # the client's reply to an echo: nothing to answer
                    if not self.script:
                        return
                    step = self.script.pop(0)
                    chunks = step(msg) if callable(step) else step
                    for chunk in chunks:
                        if chunk is None:
                            return   # close the connection
                        conn.sendall(chunk.encode() if isinstance(chunk, str) else chunk)


def reply(result=None, error=None):
    return lambda msg: [json.dumps({"id": msg["id"], "result": result, "error": error})]


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "db.sock")


def test_transact_answers_echo_and_reassembles_split_replies(path):
    def echo_then_split(msg):
        whole = json.dumps({"id": msg["id"], "result": [{"rows": []}], "error": None})
        return [json.dumps({"method": "echo", "params": ["x"], "id": "e1"}),
                json.dumps({"id": 999, "result": [], "error": None}),   # not ours: skipped
                whole[:10], whole[10:]]
    server = Server(path, [echo_then_split, reply([{}])])
    with OvsdbClient("unix:" + path, timeout=5) as client:
        assert client.transact({"op": "select", "table": "Bridge", "where": []}) == \
            [{"rows": []}]
        assert client.transact({"op": "comment", "comment": "x"}) == [{}]
    request, echo_reply = server.seen[0], server.seen[1]
    assert request["method"] == "transact" and request["params"][0] == "Open_vSwitch"
    assert echo_reply == {"result": ["x"], "error": None, "id": "e1"}
    assert server.seen[2]["id"] == request["id"] + 1


def test_errors_name_the_target_and_the_fault(path):
    Server(path, [reply(error="unknown database"),
                  reply([{}, {"error": "constraint violation", "details": "no bridge"}]),
                  [None]])
    with OvsdbClient("unix:" + path, timeout=5) as client:
        with pytest.raises(OvsdbError, match=f"unix:{path}: unknown database"):
            client.transact({"op": "select"})
        with pytest.raises(OvsdbError, match="constraint violation: no bridge"):
            client.transact({"op": "select"}, {"op": "insert"})
        with pytest.raises(OvsdbError, match="OVSDB closed the connection"):
            client.transact({"op": "select"})


def test_tcp_targets_and_the_socket_timeout():
    server = Server(None, [reply([{"rows": [{"name": "br-tun"}]}]), reply([{}])])
    target = f"tcp:127.0.0.1:{server.port}"
    client = OvsdbClient(target, timeout=2.5)
    with client:
        assert client._sock.family == socket.AF_INET and client._sock.gettimeout() == 2.5
        assert client.transact({"op": "select"}) == [{"rows": [{"name": "br-tun"}]}]
        assert client.transact({"op": "select"}) == [{}]
    assert client._sock is None
    assert [m["id"] for m in server.seen] == [1, 2]


def test_an_unknown_target_is_refused():
    with pytest.raises(OvsdbError, match="unsupported OVSDB target 'ssl:1.2.3.4:6640'"):
        OvsdbClient("ssl:1.2.3.4:6640").__enter__()


def spec(name, kind, remote):
    return TunnelSpec(name=name, type=kind, local_ip="192.168.100.11", remote_ip=remote,
                      remote_node="x")


def test_reconcile_adds_updates_removes_and_leaves_the_rest():
    br_tun = FakeDatapath(Replies(), "192.168.10.11", "br-tun", {"patch-int": 1})
    db = FakeOvsdb(br_tun)
    keep = spec("vxlan-c0a8640c", "vxlan", "192.168.100.12")
    wrong = spec("gre-c0a8640c", "gre", "192.168.100.12")
    db.add_tunnel(keep.name, "vxlan", keep.interface_options())
    db.add_tunnel(wrong.name, "gre", {"remote_ip": "192.168.100.99"})   # options differ
    db.add_tunnel("vxlan-c0a8640a", "vxlan", {"remote_ip": "192.168.100.10"})  # not wanted
    new = spec("gre-c0a8640d", "gre", "192.168.100.13")
    changes = reconcile_tunnels(db, {s.name: s for s in (keep, wrong, new)})
    assert (changes.added, changes.updated, changes.removed) == (
        [new.name], [wrong.name], ["vxlan-c0a8640a"])
    assert bool(changes)
    assert db.interfaces[wrong.name]["options"] == wrong.interface_options()
    assert set(br_tun.port_numbers) == {"patch-int", keep.name, wrong.name, new.name}
    transactions = db.transactions
    again = reconcile_tunnels(db, {s.name: s for s in (keep, wrong, new)})
    assert not again and db.transactions == transactions + 1   # read only, nothing written
