"""Web conversation metadata (owner, title, times) in a small table next to the checkpoints.

SQLite (``web.db``) by default; the shared PostgreSQL database when replicas share one, so that
whichever replica a request lands on knows who owns a thread.

The conversation itself lives in the LangGraph checkpointer; this table answers "which threads are
mine" for the history list and ``POST /threads/search`` without scanning checkpoints.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from agent.storage.database import Database, SqliteDatabase, database, is_postgres

if TYPE_CHECKING:
    from agent.runtime import Runtime

SCHEMA = """
CREATE TABLE IF NOT EXISTS web_threads (
    thread_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    title TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'idle',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS web_threads_owner ON web_threads(owner, updated_at);
"""


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


class ThreadRecord(BaseModel):
    thread_id: str
    owner: str
    title: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    status: str = "idle"
    created_at: str
    updated_at: str


class ThreadStore:
    def __init__(self, db: Database | Path):
        # SQLite: WAL with NORMAL sync survives a process kill; only an OS crash may lose the last
        # updates of this index (titles, times), never a conversation: fsync per update costs ms.
        self._db = db if isinstance(db, Database) else SqliteDatabase(Path(db))
        self._db.migrate(SCHEMA)

    def close(self) -> None:
        self._db.close()

    @staticmethod
    def _record(row: tuple) -> ThreadRecord:
        return ThreadRecord(
            thread_id=row[0],
            owner=row[1],
            title=row[2],
            metadata=json.loads(row[3] or "{}"),
            status=row[4],
            created_at=row[5],
            updated_at=row[6],
        )

    def create(self, thread_id: str, owner: str, metadata: dict[str, Any] | None = None) -> ThreadRecord | None:
        """The new thread's record, or None if the id is already in the table (whoever owns it)."""
        now = now_iso()
        meta = {**(metadata or {}), "owner": owner}
        inserted = self._db.execute(
            "INSERT INTO web_threads(thread_id, owner, metadata, created_at, updated_at)"
            " VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
            (thread_id, owner, json.dumps(meta), now, now),
        ).rowcount
        if not inserted:
            return None
        return ThreadRecord(thread_id=thread_id, owner=owner, metadata=meta, created_at=now, updated_at=now)

    def get(self, thread_id: str) -> ThreadRecord | None:
        row = self._db.execute(
            "SELECT thread_id, owner, title, metadata, status, created_at, updated_at FROM web_threads"
            " WHERE thread_id = ?",
            (thread_id,),
        ).fetchone()
        return self._record(row) if row else None

    def update(
        self,
        thread_id: str,
        *,
        status: str | None = None,
        title: str | None = None,
        metadata: dict[str, Any] | None = None,
        record: ThreadRecord | None = None,
    ) -> None:
        """Change a thread's status, title (kept once set) and metadata; ``record`` saves re-reading it."""
        record = record if record is not None and record.thread_id == thread_id else self.get(thread_id)
        if record is None:
            return
        meta = {**record.metadata, **(metadata or {}), "owner": record.owner}
        self._db.execute(
            "UPDATE web_threads SET status = ?, title = COALESCE(title, ?), metadata = ?, updated_at = ?"
            " WHERE thread_id = ?",
            (status or record.status, title, json.dumps(meta), now_iso(), thread_id),
        )

    def set_status(self, thread_id: str, status: str) -> None:
        """Only the status (and time): one statement, as at the end of every run."""
        self._db.execute(
            "UPDATE web_threads SET status = ?, updated_at = ? WHERE thread_id = ?", (status, now_iso(), thread_id)
        )

    def delete(self, thread_id: str) -> None:
        self._db.execute("DELETE FROM web_threads WHERE thread_id = ?", (thread_id,))

    def search(
        self,
        owner: str,
        *,
        metadata: dict[str, Any] | None = None,
        status: str | None = None,
        limit: int = 10,
        offset: int = 0,
        sort_by: str = "updated_at",
        sort_order: str = "desc",
    ) -> list[ThreadRecord]:
        column = sort_by if sort_by in ("created_at", "updated_at", "thread_id", "status") else "updated_at"
        order = "ASC" if str(sort_order).lower() == "asc" else "DESC"
        query = (
            "SELECT thread_id, owner, title, metadata, status, created_at, updated_at FROM web_threads WHERE owner = ?"
        )
        params: list[Any] = [owner]
        if status:
            query += " AND status = ?"
            params.append(status)
        query += f" ORDER BY {column} {order}"
        rows = self._db.execute(query, params).fetchall()
        records = [self._record(r) for r in rows]
        if metadata:
            records = [r for r in records if all(r.metadata.get(k) == v for k, v in metadata.items())]
        return records[offset : offset + max(0, min(limit, 1000))]


def thread_store(runtime: Runtime) -> ThreadStore:
    """The shared PostgreSQL database when one is configured, else ``web.db`` in the data directory."""
    if is_postgres(runtime.settings.database_url):
        return ThreadStore(database(runtime))
    return ThreadStore(runtime.data_dir / "web.db")
