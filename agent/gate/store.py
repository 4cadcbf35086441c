"""Pending and decided approval requests, in the shared database (SQLite, or PostgreSQL for replicas).

The graph's checkpoint already holds a pending interrupt; this table is the index connectors use
to find it: "my pending approvals" on the web, the thread behind a Slack button, and a guard that
a request is decided at most once even when two people click at the same moment.

Each move that does something is a claim, taken with a compare-and-set on the row: ``pending →
deciding`` by the process applying a decision, ``approved → executing`` by the process running
it. A claim records its holder (:mod:`agent.gate.claims`) and when it was taken, so that a process
killed half-way does not leave the request in limbo: a ``deciding`` claim lapses after a short
lease (or as soon as its holder is gone), and an ``executing`` one whose holder is gone is
recorded as ``unknown`` (it may or may not have run) instead of being run again. A holder on
another replica's host is gone when its heartbeats stop (:mod:`agent.gate.heartbeats`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, PrivateAttr

from agent.gate.claims import holder_alive, this_process
from agent.gate.heartbeats import HOLDER_LEASE, Heartbeats
from agent.gate.policy import ApprovalDecision, ApprovalRequest, now_utc
from agent.storage.database import Database, SqliteDatabase, database

if TYPE_CHECKING:
    from agent.runtime import Runtime

DEFAULT_LEASE = timedelta(seconds=60)
# A decision is recorded (the graph may still have to act on it): nothing is pending any more.
DECIDED = ("approved", "rejected", "refused")

SCHEMA = """
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,
    thread_id TEXT,
    -- pending | deciding | approved | rejected | refused | executing | executed | failed | unknown
    status TEXT NOT NULL,
    request TEXT NOT NULL,
    decision TEXT,
    result TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    claimed_by TEXT,                 -- the process holding the deciding / executing claim
    claimed_at TEXT
);
CREATE INDEX IF NOT EXISTS approvals_status ON approvals(status);
CREATE INDEX IF NOT EXISTS approvals_thread ON approvals(thread_id);
"""
CLAIM_COLUMNS = {"approvals": {"claimed_by": "TEXT", "claimed_at": "TEXT"}}  # databases older than claims


class StoredApproval(BaseModel):
    """One row: the request (the edited one once an edit was approved), where it stands, and why."""

    request: ApprovalRequest
    status: str
    decision: ApprovalDecision | None = None
    result: dict[str, Any] | None = None
    updated_at: datetime
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    _alive: Callable[[str | None], bool] | None = PrivateAttr(default=None)  # the store's heartbeats

    def holder_gone(self) -> bool:
        return not (self._alive or holder_alive)(self.claimed_by)


class ApprovalStore:
    def __init__(
        self, db: Database | Path, *, lease: timedelta = DEFAULT_LEASE, holder_lease: timedelta = HOLDER_LEASE
    ):
        """``db`` is the shared database, or the path of a SQLite file (tests, tools reading one).

        ``lease``: how long a ``deciding`` claim may last; ``holder_lease``: how long a holder on
        another host counts as alive after its last heartbeat.
        """
        self.db = db if isinstance(db, Database) else SqliteDatabase(Path(db))
        self.lease = lease
        self.db.migrate(SCHEMA, CLAIM_COLUMNS)
        self.holders = Heartbeats(self.db, holder_lease)

    def add_pending(self, request: ApprovalRequest) -> None:
        """Record a request; a second call for the same id (a replayed node) changes nothing."""
        now = now_utc().isoformat()
        self.db.execute(
            "INSERT INTO approvals(id, thread_id, status, request, created_at, expires_at, updated_at)"
            " VALUES (?, ?, 'pending', ?, ?, ?, ?) ON CONFLICT DO NOTHING",
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
        found = self.row(request_id)
        return (found.request, found.status) if found else None

    def row(self, request_id: str) -> StoredApproval | None:
        rows = self._rows("WHERE id = ?", (request_id,))
        return rows[0] if rows else None

    def status(self, request_id: str) -> str | None:
        found = self.get(request_id)
        return found[1] if found else None

    def pending(self, thread_id: str | None = None) -> list[ApprovalRequest]:
        """Requests waiting for a decision: pending ones, and those whose decision claim lapsed."""
        where, params = "WHERE status IN ('pending', 'deciding')", ()
        if thread_id is not None:
            where, params = where + " AND thread_id = ?", (thread_id,)
        return [r.request for r in self._rows(where, params) if self.decidable(r)]

    def decidable(self, found: StoredApproval) -> bool:
        return found.status == "pending" or self.lapsed(found)

    def for_thread(self, thread_id: str) -> list[StoredApproval]:
        """Every request of one conversation, oldest first (what "did my restart happen?" reads)."""
        return self._rows("WHERE thread_id = ?", (thread_id,))

    def with_status(self, *statuses: str) -> list[StoredApproval]:
        marks = ", ".join("?" for _ in statuses)
        return self._rows(f"WHERE status IN ({marks})", statuses)

    # --- claims -----------------------------------------------------------------------------------
    def lapsed(self, found: StoredApproval) -> bool:
        """Whether a ``deciding`` claim may be taken over: its lease ran out, or its holder is gone."""
        if found.status != "deciding":
            return False
        started = found.claimed_at or found.updated_at
        return now_utc() - started >= self.lease or found.holder_gone()

    def claim(self, request_id: str, status: str, decision: ApprovalDecision) -> bool:
        """Move a pending request (or one whose decision claim lapsed) to ``status``; False if taken.

        At most one caller wins: the update only applies to the row as it was read.
        """
        found = self.row(request_id)
        if found is None or not self.decidable(found):
            return False
        self.holders.keep_beating()
        now = now_utc().isoformat()
        cur = self.db.execute(
            "UPDATE approvals SET status = ?, decision = ?, updated_at = ?, claimed_by = ?, claimed_at = ?"
            " WHERE id = ? AND status = ? AND COALESCE(claimed_at, '') = COALESCE(?, '')",
            (
                status,
                decision.model_dump_json(),
                now,
                this_process(),
                now,
                request_id,
                found.status,
                _iso(found.claimed_at),
            ),
        )
        return cur.rowcount == 1

    def start_execution(self, request_id: str) -> bool:
        """Claim an approved request for running it: True once, for one caller, ever."""
        self.holders.keep_beating()
        now = now_utc().isoformat()
        cur = self.db.execute(
            "UPDATE approvals SET status = 'executing', updated_at = ?, claimed_by = ?, claimed_at = ?"
            " WHERE id = ? AND status = 'approved'",
            (now, this_process(), now, request_id),
        )
        return cur.rowcount == 1

    def release(self, request_id: str) -> None:
        """This process's ``deciding`` claim back to ``pending``: the decision was not recorded."""
        self.db.execute(
            "UPDATE approvals SET status = 'pending', updated_at = ?, claimed_by = NULL, claimed_at = NULL"
            " WHERE id = ? AND status = 'deciding' AND claimed_by = ?",
            (now_utc().isoformat(), request_id, this_process()),
        )

    def mark_unknown(self, request_id: str) -> bool:
        """``executing`` whose holder is gone → ``unknown``: it may have run, and is never run again."""
        found = self.row(request_id)
        if found is None or found.status != "executing" or not found.holder_gone():
            return False
        result = {"outcome": "unknown", "reason": "the process running it stopped before recording the result"}
        cur = self.db.execute(
            "UPDATE approvals SET status = 'unknown', result = ?, updated_at = ?"
            " WHERE id = ? AND status = 'executing' AND COALESCE(claimed_by, '') = COALESCE(?, '')",
            (json.dumps(result), now_utc().isoformat(), request_id, found.claimed_by),
        )
        return cur.rowcount == 1

    def finish(
        self, request_id: str, status: str, result: dict | None = None, *, request: ApprovalRequest | None = None
    ) -> None:
        """Record where a request ended; ``request`` replaces the stored one (an approved edit)."""
        self.db.execute(
            "UPDATE approvals SET status = ?, result = ?, updated_at = ?, request = COALESCE(?, request) WHERE id = ?",
            (
                status,
                json.dumps(result, default=str) if result is not None else None,
                now_utc().isoformat(),
                request.model_dump_json() if request is not None else None,
                request_id,
            ),
        )

    def _rows(self, where: str, params: tuple) -> list[StoredApproval]:
        rows = self.db.execute(
            "SELECT request, status, decision, result, updated_at, claimed_by, claimed_at FROM approvals "
            f"{where} ORDER BY created_at",
            params,
        ).fetchall()
        found = [
            StoredApproval(
                request=ApprovalRequest.model_validate_json(request),
                status=status,
                decision=ApprovalDecision.model_validate_json(decision) if decision else None,
                result=json.loads(result) if result else None,
                updated_at=datetime.fromisoformat(updated_at),
                claimed_by=claimed_by,
                claimed_at=datetime.fromisoformat(claimed_at) if claimed_at else None,
            )
            for request, status, decision, result, updated_at, claimed_by, claimed_at in rows
        ]
        for row in found:
            row._alive = self.holders.alive
        return found


def approval_store(runtime: Runtime) -> ApprovalStore:
    """The process's one store of approval requests (the gate and the approval-status tool share it)."""
    settings = runtime.settings
    lease = timedelta(seconds=settings.approval_claim_lease_seconds)
    holder_lease = timedelta(seconds=settings.claim_holder_lease_seconds)
    return runtime.service(
        "approvals.store", lambda: ApprovalStore(database(runtime), lease=lease, holder_lease=holder_lease)
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
