"""The difference between the flows a bridge has and the flows it should have.

Entries are compared by key (table, priority, match). The result is what the send path turns
into OpenFlow: adds for missing entries, strict modifies for entries whose actions differ, and
strict deletes for entries of our cookie the bridge should no longer have. Flows already right
produce nothing, so re-applying the same state sends nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Iterable, Iterator, Mapping

from flows.flow import Flow


@dataclass
class Changes:
    add: list[Flow] = field(default_factory=list)
    modify: list[Flow] = field(default_factory=list)
    delete: list[Flow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.add) + len(self.modify) + len(self.delete)

    def __bool__(self) -> bool:
        return len(self) > 0


def diff(installed: Mapping[tuple, Flow], desired: Mapping[tuple, Flow]) -> Changes:
    changes = Changes()
    for key, flow in desired.items():
        have = installed.get(key)
        if have is None:
            changes.add.append(flow)
        elif have != flow:
            changes.modify.append(flow)
    changes.delete = [flow for key, flow in installed.items() if key not in desired]
    for flows in (changes.add, changes.modify, changes.delete):
        flows.sort(key=_table_order)  # stable: within a table and priority, the given order
    return changes


class DuplicateFlow(Exception):
    pass


def stream(installed: Mapping[tuple, Flow], desired: Iterable[Flow],
           seen: dict[tuple, Flow] | None = None) -> Iterator[tuple[str, Flow]]:
    """The same difference as diff(installed, index(desired)), as ("add"|"modify"|"delete",
    flow) pairs while `desired` is still being made: each add as soon as its flow is, the
    modifies and deletes at the end (a delete needs every desired flow known). Two
    different flows for one entry raise DuplicateFlow (a bug in the families), as
    desired.index does. `seen`, if given, is filled with the desired flows by key: what the
    bridge holds once the pairs are applied."""
    seen = {} if seen is None else seen
    modify = []
    for flow in desired:
        key = flow.key
        known = len(seen)
        other = seen.setdefault(key, flow)
        if len(seen) == known:   # (the entry had a flow already)
            if other != flow:
                raise DuplicateFlow(f"two flows for one entry: {other} and {flow}")
            continue
        have = installed.get(key)
        if have is None:
            yield "add", flow
        elif have != flow:
            modify.append(flow)
    for flow in modify:
        yield "modify", flow
    for key, flow in installed.items():
        if key not in seen:
            yield "delete", flow


def combine(installed: Mapping[tuple, Flow], steps: list[Changes]) -> Changes:
    """Several diffs made one after the other from `installed` (changes of one bridge
    that arrived together), as one: what the bridge needs to end where the last leaves it."""
    final: dict[tuple, Flow | None] = {}
    for step in steps:
        for flow in step.add + step.modify:
            final[flow.key] = flow
        for flow in step.delete:
            final[flow.key] = None
    changes = Changes()
    for key, flow in final.items():
        have = installed.get(key)
        if flow is None:
            if have is not None:
                changes.delete.append(have)
        elif have is None:
            changes.add.append(flow)
        elif have != flow:
            changes.modify.append(flow)
    for flows in (changes.add, changes.modify, changes.delete):
        flows.sort(key=_table_order)
    return changes


def _table_order(flow: Flow) -> tuple[int, int]:
    return (flow.table, -flow.priority)
