"""The cloud's state on disk: one SQLite file holding the current cloud document (the cloud
file's shape) and a version that counts changes. Written, in one transaction, before any flow
of a change is sent, so a restarted controller starts from exactly what it last programmed."""
from __future__ import annotations

import json
import os
import sqlite3
from typing import Any

SCHEMA = "CREATE TABLE IF NOT EXISTS cloud (id INTEGER PRIMARY KEY CHECK (id = 1), " \
         "version INTEGER NOT NULL, doc TEXT NOT NULL)"


class Store:
    def __init__(self, path: str):
        self.path = path
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)  # explicit transactions
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(SCHEMA)

    def load(self) -> tuple[int, Any] | None:
        """(version, document), or None for a new store."""
        row = self.db.execute("SELECT version, doc FROM cloud WHERE id = 1").fetchone()
        return None if row is None else (row[0], json.loads(row[1]))

    def save(self, version: int, doc: Any) -> None:
        text = json.dumps(doc, sort_keys=True)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("INSERT OR REPLACE INTO cloud (id, version, doc) VALUES (1, ?, ?)",
                            (version, text))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()
