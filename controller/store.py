"""The cloud's state on disk: one SQLite file holding the current cloud document (the cloud
file's shape), a version that counts changes, and each resource's record (revision number,
created and updated times, as Neutron keeps them). Written, in one transaction, before any flow
of a change is sent, so a restarted controller starts from exactly what it last programmed.

The ports, the one list that grows with the cloud, are rows of their own (in the document's
order, by `seq`), so that one port's change writes one row (`save_port`) and not the whole
document; the document's row holds everything else, its "ports" an empty placeholder. A
store written before ports had rows (the whole document in one row) is read as it is and
rewritten in the new form."""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from typing import Any

from cloud.neutron import Record

SCHEMA = ("CREATE TABLE IF NOT EXISTS cloud (id INTEGER PRIMARY KEY CHECK (id = 1), "
          "version INTEGER NOT NULL, doc TEXT NOT NULL)",
          "CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, "
          "revision_number INTEGER NOT NULL, created_at TEXT NOT NULL, "
          "updated_at TEXT NOT NULL)",
          "CREATE TABLE IF NOT EXISTS ports (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, "
          "entry TEXT NOT NULL)")
PORTS = "ports"


class Store:
    def __init__(self, path: str):
        self.path = path
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)  # explicit transactions
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        for statement in SCHEMA:
            self.db.execute(statement)

    def load(self) -> tuple[int, Any] | None:
        """(version, document), or None for a new store."""
        row = self.db.execute("SELECT version, doc FROM cloud WHERE id = 1").fetchone()
        if row is None:
            return None
        version, doc = row[0], json.loads(row[1])
        rows = self.db.execute("SELECT entry FROM ports ORDER BY seq").fetchall()
        if doc.get(PORTS) and not rows:     # (the earlier form: rewritten in this one)
            self.save(version, doc)
        elif PORTS in doc:
            doc[PORTS] = [json.loads(entry) for (entry,) in rows]
        return version, doc

    def records(self) -> dict[str, Record]:
        return {row[0]: Record(*row[1:]) for row in self.db.execute(
            "SELECT id, revision_number, created_at, updated_at FROM records")}

    def save(self, version: int, doc: Any, records: dict[str, Record] | None = None,
             removed: set[str] = frozenset()) -> None:
        """The new document and version, the records that changed and those of removed
        resources, all or nothing."""
        rest = {key: ([] if key == PORTS else value) for key, value in doc.items()}
        ports = [(e["id"], seq, json.dumps(e, sort_keys=True))
                 for seq, e in enumerate(doc.get(PORTS, []))]
        with self._transaction(records, removed):
            self.db.execute("INSERT OR REPLACE INTO cloud (id, version, doc) VALUES (1, ?, ?)",
                            (version, json.dumps(rest, sort_keys=True)))
            self.db.execute("DELETE FROM ports")
            self.db.executemany("INSERT INTO ports (id, seq, entry) VALUES (?, ?, ?)", ports)

    def save_port(self, version: int, ident: str | None, entry: dict | None, seq: int,
                  records: dict[str, Record], removed: set[str] = frozenset()) -> None:
        """One port's change (entry None: deleted; ident None: nothing changed) and the new
        version, with the records that changed, all or nothing; the document's other parts
        are as saved."""
        with self._transaction(records, removed):
            self.db.execute("UPDATE cloud SET version = ? WHERE id = 1", (version,))
            if ident is not None and entry is None:
                self.db.execute("DELETE FROM ports WHERE id = ?", (ident,))
            elif ident is not None:
                self.db.execute("INSERT OR REPLACE INTO ports (id, seq, entry) VALUES (?, ?, ?)",
                                (ident, seq, json.dumps(entry, sort_keys=True)))

    @contextlib.contextmanager
    def _transaction(self, records: dict[str, Record] | None, removed: set[str]):
        """One transaction: what the caller writes, then the records."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.db.executemany(
                "INSERT OR REPLACE INTO records (id, revision_number, created_at, updated_at) "
                "VALUES (?, ?, ?, ?)",
                [(ident, r.revision_number, r.created_at, r.updated_at)
                 for ident, r in (records or {}).items()])
            self.db.executemany("DELETE FROM records WHERE id = ?", [(i,) for i in removed])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()
