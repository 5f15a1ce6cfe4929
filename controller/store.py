"""The cloud's state on disk: one SQLite file holding the current cloud document (the cloud
file's shape), a version that counts changes, and each resource's record (revision number,
created and updated times, as Neutron keeps them). Written, in one transaction, before any flow
of a change is sent, so a restarted controller starts from exactly what it last programmed."""
from __future__ import annotations

import json
import os
import sqlite3
from typing import Any

from cloud.neutron import Record

SCHEMA = ("CREATE TABLE IF NOT EXISTS cloud (id INTEGER PRIMARY KEY CHECK (id = 1), "
          "version INTEGER NOT NULL, doc TEXT NOT NULL)",
          "CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, "
          "revision_number INTEGER NOT NULL, created_at TEXT NOT NULL, "
          "updated_at TEXT NOT NULL)")


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
        return None if row is None else (row[0], json.loads(row[1]))

    def records(self) -> dict[str, Record]:
        return {row[0]: Record(*row[1:]) for row in self.db.execute(
            "SELECT id, revision_number, created_at, updated_at FROM records")}

    def save(self, version: int, doc: Any, records: dict[str, Record] | None = None,
             removed: set[str] = frozenset()) -> None:
        """The new document and version, the records that changed and those of removed
        resources, all or nothing."""
        text = json.dumps(doc, sort_keys=True)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("INSERT OR REPLACE INTO cloud (id, version, doc) VALUES (1, ?, ?)",
                            (version, text))
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
