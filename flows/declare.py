"""How a table is declared and how a declaration checks the flows built from it (see
flows/pipeline.py, which declares every table of the pipeline with these)."""
from __future__ import annotations

from dataclasses import dataclass

from flows import tables as t
from flows.flow import OFPP_NORMAL, Action, Flow, Match, Output


class PipelineError(ValueError):
    """A flow that breaks its table's declaration (a bug in a family)."""


@dataclass(frozen=True)
class Miss:
    """A table's last flow (priority 0, empty match): drop (the default), on to `goto`, or
    NORMAL."""
    goto: int | None = None
    normal: bool = False

    @property
    def actions(self) -> tuple[Action, ...]:
        return (Output(OFPP_NORMAL),) if self.normal else ()


NAMES: dict[tuple[str, int], str] = {}   # (bridge, table id) -> name, of every declared table

DROP = Miss()
NORMAL = Miss(normal=True)


def FIELDS(*names: str) -> frozenset[str]:  # noqa: N802  # pragma: no mutate block
    return frozenset(names)


@dataclass(frozen=True)
class Table:
    bridge: str
    id: int
    name: str
    fields: frozenset[str]                 # the match fields its flows may use
    next: tuple[int, ...]                  # the tables its flows may go to
    miss: Miss | None                      # its last flow; None: its flows cover everything
    priorities: tuple[tuple[int, str], ...]  # (priority, what a flow of it does)
    doc: str

    def __post_init__(self) -> None:  # pragma: no mutate block
        object.__setattr__(self, "_priority_set", frozenset(p for p, _ in self.priorities))
        NAMES[(self.bridge, self.id)] = self.name

    def flow(self, priority: int, match: Match = (), actions: tuple[Action, ...] = (),
             goto: int | None = None, cookie: int = t.COOKIE) -> Flow:
        """A flow of this table, checked against the declaration (cheaply: every flow of
        every node is built here)."""
        if priority not in self._priority_set:
            self._fault(f"priority {priority} is not declared "
                        f"({', '.join(map(str, sorted(self._priority_set)))})")
        fields = self.fields
        for name, _ in match:
            if name not in fields:
                self._fault(f"matches on {name}, which the table does not declare")
        if goto is not None and goto not in self.next:
            self._fault(f"goes to table {goto}, which it does not lead to")
        flow = Flow(self.id, priority, match, actions, goto, cookie)
        if not match and priority == t.PRIORITY_MISS and flow != self._miss_flow():
            self._fault(f"an empty-match priority-0 flow must be its declared last flow "
                        f"({self.miss_text()})")
        return flow

    def _fault(self, what: str):
        raise PipelineError(f"{self.bridge} table {self.id} {self.name}: {what}")

    def miss_flow(self) -> Flow:
        """The table's declared last flow."""
        if self.miss is None:
            raise PipelineError(f"{self.bridge} table {self.id} {self.name} declares no last "
                                "flow")
        return self._miss_flow()

    def _miss_flow(self) -> Flow | None:
        if self.miss is None:
            return None
        return Flow(self.id, t.PRIORITY_MISS, (), self.miss.actions, self.miss.goto)

    def miss_text(self) -> str:
        if self.miss is None:
            return "(none: its flows cover every frame)"
        if self.miss.normal:
            return "NORMAL"
        if self.miss.goto is not None:
            return f"to {NAMES[(self.bridge, self.miss.goto)]}"
        return "drop"
