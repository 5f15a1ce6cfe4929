"""A port's change applied in place: the API's busiest requests (create, update, delete a
port, its tags) at a cost that depends on the change, not on the size of the cloud.

The Keeper's general path (controller/keeper.py) copies the whole document, runs the
operation on the copy and validates the whole result: at 100,000 ports that is seconds. For
an operation that changes one port entry the Keeper first tries this path:

1. The operation (the same function of cloud/ops*.py) runs on a copy-on-write document: the
   top level copied, MAY_CHANGE's lists copied, the ports replaced by `PendingPorts`,
   which answers the lookups the operations make (a port by id, a network's ports, the MACs
   in use) from the `DocIndex` and hands out a private copy of any entry it is asked for.
   Anything else an operation does with the ports (iterating them) raises NotInPlace.
2. The one entry it created, changed or removed is checked by cloud/schema's own
   `port_of`, its duplicates looked up in the index rather than collected from every port,
   plus the checks that span ports (pair MACs, router gateways, floating IPs) as far as they
   can concern this port.
3. The new cloud is the old one with that Port inserted, replaced or removed in the
   document's order (cloud/derived.py); the index follows.

Whenever the path meets something it does not decide itself (a fault, a port Neutron owns,
a new project, a port a floating IP refers to, an operation touching more than one entry)
it raises NotInPlace before anything changed, and the Keeper takes the general path, whose
answer (and refusal message) is the reference. A refusal the operation itself raises
(404, 409) is final: the index answers its lookups exactly as the scans would.
tests/unit/test_inplace.py drives both paths with the same random changes and compares
every answer, document and cloud.
"""
from __future__ import annotations

import bisect
import copy
from dataclasses import dataclass

from cloud import derived, model, schema
from cloud.checks import Faults, Refs
from cloud.errors import not_found
from cloud.naming import DEVICE_ID_LEN
from cloud.schema_sg import Groups

OWNED = "network:"
# what a port's operation may change besides the port (a project's first default group
# appended, a floating IP left unassociated): the lists copied for it, and the associated
# floating IPs (the only entries it may alter); if it changed them, the general path decides
MAY_CHANGE = ("security_groups", "floating_ips")


class NotInPlace(Exception):
    """This change is not one the in-place path decides: take the general path."""


class DocIndex:
    """What the operations and one port's checks look up, for one document and its cloud:
    kept up to date by `apply` (one port) or rebuilt (any other change)."""

    def __init__(self, doc: dict, cloud: model.Cloud):
        entries = doc.get("ports", [])
        self.entries = {e["id"]: e for e in entries}           # raw id -> entry
        self.seqs = list(range(len(entries)))                   # each entry's order key
        self.seq = {e["id"]: i for i, e in enumerate(entries)}
        self.next_seq = len(entries)
        self.raw_macs = {str(e.get("mac")).lower(): e["id"] for e in entries}
        self.by_network: dict[str, dict[str, dict]] = {}
        for e in entries:
            self.by_network.setdefault(e.get("network"), {})[e["id"]] = e
        ports = cloud.ports + cloud.unbound
        self.devices = {p.id[:DEVICE_ID_LEN]: p.id for p in ports}
        self.macs = {p.mac: p.id for p in ports}
        self.ips = {(p.network_id, ip): p.id for p in ports for ip in p.ips}
        self.pair_macs: dict[tuple[str, str], int] = {}
        for p in ports:
            self._pairs(p, 1)
        self.gateways = {g for r in cloud.routers if r.gateway is not None
                         for g in (r.gateway.port_id, r.gateway.port_id[:DEVICE_ID_LEN],
                                   r.gateway.mac)}
        self.fip_ports = {f.port_id for f in cloud.floating_ips if f.port_id is not None}
        self.nodes = {n.name: n for n in cloud.nodes}
        self.network_refs = _NetworkRefs(cloud)
        self.projects = {g.meta.project_id for g in cloud.security_groups
                         if g.name == model.DEFAULT_GROUP}   # those with a default group
        self.groups = Groups(list(cloud.security_groups),
                             {str(g.get("id", "")).lower()
                              for g in doc.get("security_groups", [])})

    def _pairs(self, port: model.Port, step: int) -> None:
        for mac in {pair.mac for pair in port.allowed_address_pairs} - {port.mac}:
            key = (port.network_id, mac)
            self.pair_macs[key] = self.pair_macs.get(key, 0) + step

    def position(self, ident: str) -> int:
        """Where the entry of this id is in the document's ports."""
        return bisect.bisect_left(self.seqs, self.seq[ident])

    def apply(self, doc: dict, old: tuple | None, new: tuple | None) -> None:
        """Make one change real in the document and here: old and new are (entry, Port)
        (either None for a create or a delete)."""
        ports = doc.setdefault("ports", [])
        if old is not None:
            entry, port = old
            ident = entry["id"]
            if new is not None:
                ports[self.position(ident)] = new[0]
            else:
                at = self.position(ident)
                del ports[at], self.seqs[at]
                del self.seq[ident]
            del self.entries[ident], self.raw_macs[str(entry.get("mac")).lower()]
            del self.by_network[entry.get("network")][ident]
            del self.devices[port.id[:DEVICE_ID_LEN]], self.macs[port.mac]
            for ip in port.ips:
                del self.ips[(port.network_id, ip)]
            self._pairs(port, -1)
        if new is not None:
            entry, port = new
            ident = entry["id"]
            if old is None:
                ports.append(entry)
                self.seqs.append(self.next_seq)
                self.seq[ident] = self.next_seq
                self.next_seq += 1
            self.entries[ident] = entry
            self.raw_macs[str(entry.get("mac")).lower()] = ident
            self.by_network.setdefault(entry.get("network"), {})[ident] = entry
            self.devices[port.id[:DEVICE_ID_LEN]] = port.id
            self.macs[port.mac] = port.id
            for ip in port.ips:
                self.ips[(port.network_id, ip)] = port.id
            self._pairs(port, 1)


class PendingPorts:
    """The ports of the copy-on-write document: the index's entries, the one the operation
    adds or removes, private copies of those it looks up."""
    indexed = True   # (cloud/ops.py asks this view instead of scanning)

    def __init__(self, index: DocIndex):
        self.index = index
        self.copies: dict[str, dict] = {}     # id -> the operation's copy of an entry
        self.added: list[dict] = []
        self.removed: list[str] = []

    def entry(self, ident: str, kind: str) -> dict:
        if ident in self.copies:
            return self.copies[ident]
        found = self.index.entries.get(ident)
        if found is None or ident in self.removed:
            raise not_found(kind, ident)
        self.copies[ident] = copy.deepcopy(found)
        return self.copies[ident]

    def of_network(self, network_id: str) -> list[dict]:
        if self.added or self.removed:
            raise NotInPlace("a network's ports asked for after a change")
        return [self.copies.get(i, e) for i, e in
                self.index.by_network.get(network_id, {}).items()]

    def macs(self) -> set[str]:
        if self.added or self.removed:
            raise NotInPlace("the MACs asked for after a change")
        return self.index.raw_macs.keys()

    def append(self, entry: dict) -> None:
        self.added.append(entry)

    def remove(self, entry: dict) -> None:
        if self.copies.get(entry.get("id")) is not entry:
            raise NotInPlace("removing an entry not looked up")
        self.removed.append(entry["id"])

    def __iter__(self):
        raise NotInPlace("the operation reads every port")

    def __len__(self):
        raise NotInPlace("the operation counts the ports")


@dataclass
class Outcome:
    """One port's change, checked: the document entries and Ports before and after (None
    for a create or a delete), the new cloud and the operation's result."""
    old: tuple | None
    new: tuple | None
    cloud: model.Cloud
    result: object


class _Taken:
    """A schema `seen` mapping answered by the index: is this key another port's?"""

    def __init__(self, owners: dict, own_id: str | None, make_key=lambda k: k):
        self.owners, self.own_id, self.make_key = owners, own_id, make_key

    def __contains__(self, key) -> bool:
        owner = self.owners.get(self.make_key(key))
        return owner is not None and owner != self.own_id

    def __getitem__(self, key) -> str:
        return "another port"   # (a fault: the general path will name it)

    def __setitem__(self, key, value) -> None:
        pass


class _NetworkRefs(Refs):
    """The cloud's networks by id (the document refers to them by id only)."""

    def __init__(self, cloud: model.Cloud):
        self.kind = "network"
        self.valid = {n.id: n for n in cloud.networks}
        self.ids = set(self.valid)
        self.names = {}


def run(op, doc: dict, index: DocIndex, cloud: model.Cloud) -> Outcome:
    """Run op on a copy-on-write `doc`; the checked outcome, or NotInPlace (nothing changed
    either way: the document and the index stay as they were until Outcome is applied)."""
    pending = PendingPorts(index)
    cow = dict(doc)
    cow["ports"] = pending
    copied = {key: [copy.deepcopy(e) if key == "floating_ips" and "port" in e else e
                    for e in doc[key]] for key in MAY_CHANGE if key in doc}
    cow.update(copied)
    out = op(cow)
    got, result = out if isinstance(out, tuple) else (out, None)
    if got is not cow or cow["ports"] is not pending or \
            any(cow.get(key) != doc.get(key) for key in MAY_CHANGE) or \
            any(cow[k] is not v for k, v in doc.items() if k not in copied and k != "ports"):
        raise NotInPlace("the operation changed more than one port")
    changed = [i for i, e in pending.copies.items() if e != index.entries[i]]
    if len(pending.added) + len(pending.removed) + len(changed) > 1 or \
            set(changed) & set(pending.removed):
        raise NotInPlace("more than one port changed")
    old = new = None
    ident = (pending.added[0]["id"] if pending.added else pending.removed[0]
             if pending.removed else changed[0] if changed else None)
    if ident is None:
        return Outcome(None, None, cloud, result)
    if ident in index.entries:
        if ident in index.fip_ports:
            raise NotInPlace("a floating IP refers to the port")
        old = (index.entries[ident], cloud.any_port(ident))
    if pending.added or changed:
        entry = pending.added[0] if pending.added else pending.copies[ident]
        new = (entry, _check(entry, old, index, cloud))
    for side in (old, new):
        if side is not None and side[1].device_owner.startswith(OWNED):
            raise NotInPlace("a port Neutron owns")
    def order(key: str) -> int:   # (a port created goes last)
        return index.seq[key] if key in index.seq else index.next_seq
    return Outcome(old, new, derived.with_port(cloud, ident, new and new[1], order), result)


def _check(entry: dict, old: tuple | None, index: DocIndex, cloud: model.Cloud
           ) -> model.Port:
    """The Port of a new or changed entry, or NotInPlace on any fault (the general path
    reports it, naming the entries involved)."""
    faults = Faults()
    f = faults.fields("port", copy.deepcopy(entry), schema.PORT)
    if f is None:
        raise NotInPlace("a fault in the entry")
    if f.get("device_owner", "").startswith(OWNED) or "router" in f:
        raise NotInPlace("a port Neutron owns")
    own = old[1].id if old is not None else None
    # (an id taken is a device name taken: both are faults, which is all that matters here)
    seen = (_Taken(index.devices, own, lambda k: k[:DEVICE_ID_LEN]),
            _Taken(index.devices, own, lambda k: k), _Taken(index.macs, own),
            _Taken(index.ips, own))
    refs = {"node": index.nodes, "unmapped": set(), "network": index.network_refs,
            "router": None, "group": index.groups}
    port = schema.port_of("port", f, index.nodes, refs, seen, faults)
    if port is None or faults.items:
        raise NotInPlace("a fault in the entry")
    if {port.id, port.id[:DEVICE_ID_LEN], port.mac} & index.gateways:
        raise NotInPlace("a router gateway's id or MAC")
    if any(pair.mac != port.mac for pair in port.allowed_address_pairs) or \
            index.pair_macs.get((port.network_id, port.mac)):
        raise NotInPlace("allowed address pair MACs")
    if port.meta.project_id not in index.projects:
        raise NotInPlace("a project without its default group")
    return port
