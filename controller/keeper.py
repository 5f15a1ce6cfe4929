"""The controller's one current cloud, how it changes, and where it is kept.

The Keeper is the one owner of the current cloud: everybody else asks it (`keeper.cloud`)
or receives a cloud in a call. `Keeper.change(op)` runs an operation of cloud/ops*.py on a
copy of the document, validates the whole result with cloud/schema (400 on any fault, naming
the entry), gives every resource the change created or altered its next revision number and
timestamp, saves document and records to the store in one transaction, and only then makes
it current and hands the typed Change (flows/incremental.py: old and new cloud, the nodes it
concerns and how each follows it) to the node workers. A refused change leaves document,
records, store and switches as they were.

A change of one port (`in_place=True`: the API's creates, updates, deletes and tags of
ports) is first tried in place (cloud/inplace.py): the same operation, checked against the
indexes, one Port swapped in the cloud, one row written; anything that path does not decide
itself goes the general way above, which stays the reference for every answer.
"""
from __future__ import annotations

import collections
import copy
import itertools
import json
import logging
import time
from typing import Any
from collections.abc import Callable, Iterator

from cloud import inplace, schema
from cloud.errors import Refused
from cloud.neutron import Record
from cloud.schema_net import subnet_id
from controller.store import Store
from flows.incremental import Change, plan_change

LOG = logging.getLogger("overlay.keeper")
SOURCE = "api"
RECENT = 64   # changes kept for the node workers that follow several at once (each holds
#               its clouds: a node further behind syncs whole)...
RECENT_PORTS = 1_000_000   # ... and as many as hold no more than this many ports in all


def now() -> str:
    """Neutron's timestamps: UTC, to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def resources(doc: dict) -> Iterator[tuple[str, Any]]:
    """(id, entry) of every resource of a document, for revision numbers: a network's entry
    holds its subnets (a subnet's change is the network's, as in Neutron), a router's holds
    its gateway (whose port is a resource too); a security group's rules are resources of
    their own (adding one is not a change of the group, as in Neutron)."""
    for net in doc.get("networks", []):
        yield net["id"], net
        for sub in net.get("subnets", []):
            yield sub.get("id") or subnet_id(net["id"], sub["cidr"]), sub
    for key in ("ports", "routers", "floating_ips"):
        for item in doc.get(key, []):
            yield item["id"], item
    for router in doc.get("routers", []):
        if isinstance(router.get("gateway"), dict):
            yield router["gateway"]["port_id"], router["gateway"]
    for group in doc.get("security_groups", []):
        yield group["id"], {k: v for k, v in group.items() if k != "rules"}
        for rule in group.get("rules", []):
            yield rule["id"], rule
    ext = doc.get("external")
    if isinstance(ext, dict):
        yield ext["id"], ext
        yield ext.get("subnet_id") or subnet_id(ext["id"], ext["cidr"]), ext


class Keeper:
    def __init__(self, store: Store, seed_file: str, on_change: Callable[[Change], None],
                 in_place: bool = True):
        """The store's cloud if it has one, else the seed file's (saved as version 1, its
        references by name made references by id). in_place False: every change the
        general way (tests compare the two)."""
        self.store = store
        self.in_place = in_place
        self.in_place_count = 0   # changes made in place (the others went the general way)
        self.on_change = on_change
        saved = store.load()
        if saved is None:
            doc = json.loads(json.dumps(schema.read(seed_file)))  # JSON-clean copy
            self.cloud = schema.parse(doc, seed_file)
            doc = schema.with_ids(doc, self.cloud)
            self.cloud = schema.parse(doc, seed_file)
            self.version = 1
            stamp = now()
            self.records = {ident: Record(1, stamp, stamp) for ident, _ in resources(doc)}
            store.save(self.version, doc, self.records)
            LOG.info("state %s: new, seeded from %s", store.path, seed_file)
        else:
            self.version, doc = saved
            self.cloud = schema.parse(doc, store.path)
            doc = schema.with_ids(doc, self.cloud)   # (default groups of a store made
            self.cloud = schema.parse(doc, store.path)  # before they were written there)
            self.records = store.records()
            LOG.info("state %s: version %d, %d networks, %d ports", store.path, self.version,
                     len(self.cloud.networks), len(self.cloud.ports) + len(self.cloud.unbound))
        self.doc = doc
        self.index = inplace.DocIndex(doc, self.cloud)
        self.recent: collections.deque[Change] = collections.deque()

    def _keep(self, change: Change) -> None:
        """Keep the change among the recent ones: at most RECENT, and fewer in a large cloud
        (each holds its clouds: a port's change copies the lookups of every port)."""
        self.recent.append(change)
        ports = len(self.cloud.ports) + len(self.cloud.unbound) + 1
        while len(self.recent) > max(1, min(RECENT, RECENT_PORTS // ports)):
            self.recent.popleft()

    def changes_since(self, cloud: Any) -> list[Change] | None:
        """The changes from `cloud` to the current one (in order), None if it is not one of
        the last RECENT clouds: what lets a node follow several changes in one go."""
        if cloud is self.cloud:
            return []
        for at in range(len(self.recent) - 1, -1, -1):
            if self.recent[at].old is cloud:
                return list(itertools.islice(self.recent, at, None))
        return None

    def change(self, op: Callable[[dict], Any], what: str, in_place: bool = False) -> Any:
        """Apply op(document) -> document or (document, result); returns the result.
        in_place: op changes at most one port entry, try it in place first."""
        if in_place and self.in_place:
            try:
                outcome = inplace.run(op, self.doc, self.index, self.cloud)
            except inplace.NotInPlace as exc:
                LOG.debug("%s: the general way (%s)", what, exc)
            except Refused:
                raise
            except Exception:  # noqa: BLE001 - a bug of the in-place path: said, not fatal
                LOG.exception("%s: the in-place path failed; the general way instead", what)
            else:
                return self._commit(outcome, what)
        out = op(copy.deepcopy(self.doc))
        doc, result = out if isinstance(out, tuple) else (out, None)
        try:
            cloud = schema.parse(doc, SOURCE)
        except schema.CloudError as exc:
            raise Refused(400, "Invalid input: " + "; ".join(
                f"{entry}: {fault}" for entry, fault in exc.faults)) from None
        records, removed = self._records(doc)
        self.store.save(self.version + 1, doc, records, removed)
        self.version += 1
        self.records.update(records)
        for ident in removed:
            self.records.pop(ident, None)
        what += f" {result}" if isinstance(result, str) else ""
        change = plan_change(self.cloud, cloud, what)
        self.doc, self.cloud = doc, cloud
        self.index = inplace.DocIndex(doc, cloud)
        LOG.info("change %d: %s", self.version, what)
        self._keep(change)
        self.on_change(change)
        return result

    def _commit(self, outcome: inplace.Outcome, what: str) -> Any:
        """Save and make current one port's change made in place."""
        old, new = outcome.old, outcome.new
        stamp = now()
        records, removed = {}, set()
        ident = (new or old)[0]["id"] if (new or old) else None
        if new is not None and old is None:
            records[ident] = Record(1, stamp, stamp)
        elif new is not None and new[0] != old[0]:
            record = self.records.get(ident, Record(0, stamp, stamp))
            records[ident] = Record(record.revision_number + 1, record.created_at, stamp)
        elif new is None and old is not None:
            removed.add(ident)
        seq = self.index.seq.get(ident, self.index.next_seq)
        self.store.save_port(self.version + 1, ident, new and new[0], seq, records, removed)
        self.version += 1
        self.records.update(records)
        for gone in removed:
            self.records.pop(gone, None)
        self.index.apply(self.doc, old, new)
        self.in_place_count += 1
        what += f" {outcome.result}" if isinstance(outcome.result, str) else ""
        change = plan_change(self.cloud, outcome.cloud, what, port_id=ident)
        self.cloud = outcome.cloud
        LOG.info("change %d: %s", self.version, what)
        self._keep(change)
        self.on_change(change)
        return outcome.result

    def _records(self, doc: dict) -> tuple[dict[str, Record], set[str]]:
        """The records of resources the change created or altered, and the removed ids."""
        before = dict(resources(self.doc))
        after = dict(resources(doc))
        stamp = now()
        changed = {}
        for ident, item in after.items():
            old = before.get(ident)
            if old is None:
                changed[ident] = Record(1, stamp, stamp)
            elif old != item:
                record = self.records.get(ident, Record(0, stamp, stamp))
                changed[ident] = Record(record.revision_number + 1, record.created_at, stamp)
        return changed, set(before) - set(after)

