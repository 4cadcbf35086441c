"""``contract.shared_files.SharedFiles`` in the deployment's database (see that module for why)."""

from __future__ import annotations

import time

from agent.storage.database import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS shared_files (
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (namespace, name)
);
CREATE TABLE IF NOT EXISTS shared_file_versions (
    namespace TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
"""


class DatabaseFiles:
    def __init__(self, db: Database, namespace: str):
        self.db = db
        self.namespace = namespace
        self.where = f"{db.dialect}:{namespace}"
        self.db.migrate(SCHEMA)

    def put(self, name: str, text: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO shared_files(namespace, name, text, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (namespace, name) DO UPDATE SET text = excluded.text",
                (self.namespace, name, text, time.time()),
            )
            self._bump(tx)

    def remove(self, prefix: str) -> None:
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT name FROM shared_files WHERE namespace = ?", (self.namespace,)).fetchall()
            for (name,) in rows:
                if name.startswith(prefix):
                    tx.execute("DELETE FROM shared_files WHERE namespace = ? AND name = ?", (self.namespace, name))
            self._bump(tx)

    def read(self, name: str) -> str | None:
        row = self.db.execute(
            "SELECT text FROM shared_files WHERE namespace = ? AND name = ?", (self.namespace, name)
        ).fetchone()
        return row[0] if row else None

    def read_all(self, prefix: str = "") -> dict[str, str]:
        rows = self.db.execute(
            "SELECT name, text FROM shared_files WHERE namespace = ? ORDER BY created_at, name", (self.namespace,)
        ).fetchall()
        return {name: text for name, text in rows if name.startswith(prefix)}

    def version(self) -> str:
        row = self.db.execute(
            "SELECT version FROM shared_file_versions WHERE namespace = ?", (self.namespace,)
        ).fetchone()
        return str(row[0]) if row else "0"

    def _bump(self, tx) -> None:
        tx.execute(
            "INSERT INTO shared_file_versions(namespace, version) VALUES (?, 1)"
            " ON CONFLICT (namespace) DO UPDATE SET version = shared_file_versions.version + 1",
            (self.namespace,),
        )
