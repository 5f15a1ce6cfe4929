"""Fakes of what the controller talks to, for tier-1 tests of controller/ without a switch.

FakeDatapath stands for one OpenFlow connection to one bridge, as os-ken's Datapath does:
it takes the messages the send path sends (os-ken objects through send_msg, the fast
encoder's bytes through send), keeps a flow table, applies a bundle only on its commit
(atomically: all or nothing), and answers port-desc, flow-stats and commit requests through
the controller's Replies, as the reply handlers of controller/app.py would. It can be told to
refuse a commit with an OpenFlow error, or to stay silent. FakeOvsdb is a node's OVSDB as
controller/ovsdb.py uses it (Bridge, Port and Interface rows of br-tun); tunnel ports it
inserts appear as ports of the node's br-tun datapath.
"""
from __future__ import annotations

import itertools
import uuid

from os_ken.ofproto import ofproto_parser
from os_ken.ofproto import ofproto_v1_3 as ofp
from os_ken.ofproto import ofproto_v1_3_parser as parser

from controller import ofmsg
from flows.tables import COOKIE_LEARNED

_dpids = itertools.count(1)


def _port(no: int, name: str) -> parser.OFPPort:
    return parser.OFPPort(no, "00:00:00:00:00:%02x" % (no % 256), name.encode(), 0, 0, 0, 0,
                          0, 0, 0, 0)


class FakeDatapath:
    """One bridge's OpenFlow connection. `flows`: (table, priority, match) -> the flow-mod
    (or learned entry) the switch holds; `log`: what the controller sent, in order, as
    ("open"|"add"|"modify"|"delete"|"commit"|"discard"|"port-desc"|"flow-stats"|"raw-delete",
    detail)."""

    def __init__(self, replies, node_ip: str, bridge: str, ports: dict[str, int]):
        self.replies = replies
        self.id = next(_dpids)
        self.address = (node_ip, 40000 + self.id)
        self.bridge = bridge
        self.ofproto, self.ofproto_parser = ofp, parser
        self.xid = 0
        self.port_numbers = dict(ports)           # name -> ofport
        self.ports = {ofp.OFPP_LOCAL: _port(ofp.OFPP_LOCAL, bridge)}
        self.flows: dict[tuple, object] = {}
        self.bundles: dict[int, list] = {}        # open bundles: id -> flow-mods
        self.log: list[tuple[str, object]] = []
        self.xids: list[tuple] = []               # (xid, verb, flow, bundle) of each flow-mod
        self.refuse_commits = 0                   # how many commits to answer with an error
        self.silent = False                       # answer nothing (a hung switch)

    # -------------------------------------------------------------- os-ken's Datapath API
    def set_xid(self, msg) -> None:
        self.xid = (self.xid + 1) & ofp.MAX_XID
        msg.set_xid(self.xid)

    def send_msg(self, msg) -> None:
        assert msg.datapath is self, f"{msg!r} was built for another datapath"
        msg.serialize()                           # (as os-ken's send_msg does: it must encode)
        if isinstance(msg, parser.ONFBundleCtrlMsg):
            self._bundle_ctrl(msg)
        elif isinstance(msg, parser.OFPPortDescStatsRequest):
            self.log.append(("port-desc", None))
            body = [_port(no, name) for name, no in self.port_numbers.items()]
            self._reply(msg.xid, body + [self.ports[ofp.OFPP_LOCAL]])
        elif isinstance(msg, parser.OFPFlowStatsRequest):
            assert (msg.table_id, msg.out_port, msg.out_group, dict(msg.match.items())) == \
                (ofp.OFPTT_ALL, ofp.OFPP_ANY, ofp.OFPG_ANY, {}), "not every table and port"
            self.log.append(("flow-stats", None))
            mask = msg.cookie_mask
            self._reply(msg.xid, [f for f in self.flows.values()
                                  if f.cookie & mask == msg.cookie & mask])
        elif isinstance(msg, parser.OFPFlowMod):
            self.log.append(("raw-delete", msg))
            self.flows.pop(self._key(msg), None)
        else:
            raise AssertionError(f"unexpected message {msg!r}")

    def send(self, data: bytes) -> None:
        """Bundle-adds as the fast encoder writes them: parsed back with os-ken's parser."""
        while data:
            version, msg_type, length, xid = ofproto_parser.header(data)
            outer = ofproto_parser.msg(self, version, msg_type, length, xid, data[:length])
            bundle = int.from_bytes(outer.data[:4], "big")
            inner = outer.data[8:]
            v, t, n, x = ofproto_parser.header(inner)
            flow_mod = ofproto_parser.msg(self, v, t, n, x, inner[:n])
            verb = {ofp.OFPFC_ADD: "add", ofp.OFPFC_MODIFY_STRICT: "modify",
                    ofp.OFPFC_DELETE_STRICT: "delete"}[flow_mod.command]
            self.log.append((verb, ofmsg.decode_stats(flow_mod)))
            self.xids.append((xid, verb, self.log[-1][1], bundle))
            assert bundle in self.bundles, f"flow-mod for bundle {bundle}, which is not open"
            self.bundles[bundle].append(flow_mod)
            data = data[length:]

    # ----------------------------------------------------------------------------- the switch
    @staticmethod
    def _key(entry) -> tuple:
        return (entry.table_id, entry.priority, tuple(sorted(entry.match.items())))

    def _reply(self, xid: int, body=None) -> None:
        if not self.silent:
            self.replies.receive(self, xid, body or [])

    def _bundle_ctrl(self, msg) -> None:
        kind = {ofp.ONF_BCT_OPEN_REQUEST: "open", ofp.ONF_BCT_COMMIT_REQUEST: "commit",
                ofp.ONF_BCT_DISCARD_REQUEST: "discard"}[msg.type]
        self.log.append((kind, msg.bundle_id))
        if kind == "open":
            self.bundles[msg.bundle_id] = []
        elif kind == "discard":
            self.bundles.pop(msg.bundle_id, None)
        elif self.refuse_commits:
            self.refuse_commits -= 1
            self.bundles.pop(msg.bundle_id, None)
            self.replies.fail(self, msg.xid, "OpenFlow error type=17 code=0")
        else:
            for flow_mod in self.bundles.pop(msg.bundle_id):
                if flow_mod.command == ofp.OFPFC_DELETE_STRICT:
                    self.flows.pop(self._key(flow_mod), None)
                else:
                    self.flows[self._key(flow_mod)] = flow_mod
            self._reply(msg.xid)

    def installed(self) -> dict[tuple, object]:
        """The switch's flows of our cookie as the flow vocabulary (learned entries aside)."""
        out = {}
        for entry in self.flows.values():
            if entry.cookie != COOKIE_LEARNED:
                flow = ofmsg.decode_stats(entry)
                out[flow.key] = flow
        return out

    def put(self, flow) -> None:
        """A flow in the table, as if someone (a learn action: cookie COOKIE_LEARNED) had put
        it there; it replaces the entry of the same key."""
        entry = ofmsg.flow_mod(self, flow, ofp.OFPFC_ADD)
        self.flows[self._key(entry)] = entry

    def sent(self, *kinds: str) -> list:
        return [detail for kind, detail in self.log if kind in kinds]


class FakeOvsdb:
    """A node's OVSDB as the tunnel reconcile uses it; `br_tun` (a FakeDatapath) reports the
    ports it holds. Call it with a target to get a client (the Reconciler's `ovsdb`)."""

    def __init__(self, br_tun: FakeDatapath):
        self.br_tun = br_tun
        self.interfaces: dict[str, dict] = {}   # name -> {type, options}
        self.sent: list[tuple] = []             # every transaction's operations, in order
        self.target = "fake"

    @property
    def transactions(self) -> int:
        return len(self.sent)

    def __call__(self, target: str) -> FakeOvsdb:
        self.target = target
        return self

    def __enter__(self) -> FakeOvsdb:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def add_tunnel(self, name: str, kind: str, options: dict) -> None:
        self.interfaces[name] = {"type": kind, "options": dict(options)}
        self.br_tun.port_numbers[name] = max(self.br_tun.port_numbers.values(), default=0) + 1

    def _uuid(self, name: str) -> list:
        return ["uuid", str(uuid.uuid5(uuid.NAMESPACE_URL, name))]

    def transact(self, *ops: dict) -> list:
        """RFC 7047 transact, checked as strictly as ovsdb-server would: the reconcile's
        three selects, or its one write transaction (a wait on br-tun's ports, a comment,
        Interface/Port inserts, Interface updates, one Bridge mutate)."""
        self.sent.append(ops)
        names = list(self.br_tun.port_numbers)
        br_uuid = self._uuid("br-tun")
        current = ["set", [self._uuid(n) for n in names]]
        if ops[0]["op"] == "select":
            assert [(o["op"], o["table"], o["where"], o["columns"]) for o in ops] == [
                ("select", "Bridge", [["name", "==", "br-tun"]], ["_uuid", "ports"]),
                ("select", "Port", [], ["_uuid", "name", "interfaces"]),
                ("select", "Interface", [], ["_uuid", "name", "type", "options"])], ops
            return [{"rows": [{"_uuid": br_uuid, "ports": current}]},
                    {"rows": [{"_uuid": self._uuid(n), "name": n,
                               "interfaces": self._uuid("i" + n)} for n in names]},
                    {"rows": [{"_uuid": self._uuid("i" + n), "name": n,
                               "type": i["type"], "options": ["map", sorted(i["options"].items())]}
                              for n, i in self.interfaces.items()]}]
        assert ops[0] == {"op": "wait", "table": "Bridge", "timeout": 0,
                          "where": [["_uuid", "==", br_uuid]], "columns": ["ports"],
                          "until": "==", "rows": [{"ports": current}]}, ops[0]
        assert ops[1]["op"] == "comment" and ops[1]["comment"], ops[1]
        by_uuid = {self._uuid(n)[1]: n for n in names}
        interfaces: dict[str, str] = {}   # uuid-name -> interface name
        ports: dict[str, str] = {}        # uuid-name -> port name
        for op in ops[2:]:
            kind = (op["op"], op["table"])
            if kind == ("insert", "Interface"):
                row = op["row"]
                assert set(row) == {"name", "type", "options"} and row["options"][0] == "map"
                interfaces[op["uuid-name"]] = row["name"]
                self.interfaces[row["name"]] = {"type": row["type"],
                                                "options": dict(row["options"][1])}
            elif kind == ("insert", "Port"):
                row = op["row"]
                ref = row["interfaces"]
                assert ref[0] == "named-uuid" and interfaces[ref[1]] == row["name"], op
                ports[op["uuid-name"]] = row["name"]
            elif kind == ("update", "Interface"):
                (column, test, name), = op["where"]
                assert (column, test) == ("name", "==") and name in self.interfaces, op
                assert set(op["row"]) == {"type", "options"}, op
                self.interfaces[name] = {"type": op["row"]["type"],
                                         "options": dict(op["row"]["options"][1])}
            elif kind == ("mutate", "Bridge"):
                assert op["where"] == [["_uuid", "==", br_uuid]], op
                for column, verb, (set_tag, members) in op["mutations"]:
                    assert column == "ports" and set_tag == "set", op
                    for member in members:
                        if verb == "insert":
                            assert member[0] == "named-uuid", member
                            name = ports[member[1]]
                            self.add_tunnel(name, self.interfaces[name]["type"],
                                            self.interfaces[name]["options"])
                        else:
                            assert verb == "delete" and member[0] == "uuid", member
                            name = by_uuid[member[1]]
                            self.br_tun.port_numbers.pop(name)
                            self.interfaces.pop(name, None)
            else:
                raise AssertionError(f"unexpected operation {op}")
        assert set(ports.values()) <= set(self.br_tun.port_numbers), "ports not on br-tun"
        return [{} for _ in ops]
