"""Pending and decided approval requests, in the shared SQLite database.

The graph's checkpoint already holds a pending interrupt; this table is the index connectors use
to find it: "my pending approvals" on the web, the thread behind a Slack button, and a guard that
a request is decided at most once even when two people click at the same moment.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from agent.approvals import ApprovalDecision, ApprovalRequest, now_utc

SCHEMA = """
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,
    thread_id TEXT,
    status TEXT NOT NULL,            -- pending | approved | rejected | refused | executing | executed | failed
    request TEXT NOT NULL,
    decision TEXT,
    result TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS approvals_status ON approvals(status);
"""


class ApprovalStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def add_pending(self, request: ApprovalRequest) -> None:
        """Record a request; a second call for the same id (a replayed node) changes nothing."""
        now = now_utc().isoformat()
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO approvals(id, thread_id, status, request, created_at, expires_at, updated_at)"
                " VALUES (?, ?, 'pending', ?, ?, ?, ?)",
                (
                    request.id,
                    request.thread_id,
                    request.model_dump_json(),
                    request.created_at.isoformat(),
                    request.expires_at.isoformat(),
                    now,
                ),
            )

    def get(self, request_id: str) -> tuple[ApprovalRequest, str] | None:
        with self._connect() as db:
            row = db.execute("SELECT request, status FROM approvals WHERE id = ?", (request_id,)).fetchone()
        if row is None:
            return None
        return ApprovalRequest.model_validate_json(row[0]), row[1]

    def claim(self, request_id: str, status: str, decision: ApprovalDecision) -> bool:
        """Move a pending request to ``status``; False when it was already decided (exactly once)."""
        with self._lock, self._connect() as db:
            cur = db.execute(
                "UPDATE approvals SET status = ?, decision = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
                (status, decision.model_dump_json(), now_utc().isoformat(), request_id),
            )
            return cur.rowcount == 1

    def finish(self, request_id: str, status: str, result: dict | None = None) -> None:
        with self._lock, self._connect() as db:
            db.execute(
                "UPDATE approvals SET status = ?, result = ?, updated_at = ? WHERE id = ?",
                (
                    status,
                    json.dumps(result, default=str) if result is not None else None,
                    now_utc().isoformat(),
                    request_id,
                ),
            )

    def status(self, request_id: str) -> str | None:
        found = self.get(request_id)
        return found[1] if found else None

    def pending(self, thread_id: str | None = None) -> list[ApprovalRequest]:
        query = "SELECT request FROM approvals WHERE status = 'pending'"
        params: tuple = ()
        if thread_id is not None:
            query += " AND thread_id = ?"
            params = (thread_id,)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY created_at", params).fetchall()
        return [ApprovalRequest.model_validate_json(r[0]) for r in rows]
