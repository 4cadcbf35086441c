"""Slack bookkeeping in the shared database (SQLite, or PostgreSQL for replicas), so replicas agree.

Three small tables next to the approvals table:

- ``slack_seen``: delivery keys (event ids, interaction trigger ids), each claimed by one process
  for a **lease**. The insert on the primary key is atomic across processes, so exactly one
  replica claims a delivery and Slack's retries (``X-Slack-Retry-Num``) are acknowledged without
  being answered again. A claim is marked done once its listener finished; a claim whose holder
  died first (not done, lease lapsed) is taken over by whichever replica gets Slack's next retry,
  so a claimed-then-crashed delivery is still answered. Slack retries after about 1 and 5
  minutes, so the lease (default 45 s) is shorter than the gap to the next retry.
- ``slack_threads``: threads the assistant takes part in, so that follow-ups in a channel thread
  are answered without a new mention while unrelated threads are left alone.
- ``slack_approval_messages``: every message showing an approval request (the thread's and the
  owning team's channel's), so that all of them are updated once it is decided.
"""

from __future__ import annotations

import time
from pathlib import Path

from agent.gate.claims import this_process
from agent.storage.database import Database, SqliteDatabase

SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_seen (
    key TEXT PRIMARY KEY,
    seen_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS slack_seen_at ON slack_seen(seen_at);
CREATE TABLE IF NOT EXISTS slack_threads (
    thread_id TEXT PRIMARY KEY,
    started_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS slack_approval_messages (
    request_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    ts TEXT NOT NULL,
    PRIMARY KEY (request_id, channel, ts)
);
"""

# Slack retries a delivery for a few minutes at most; a day of keys is plenty.
SEEN_TTL_SECONDS = 24 * 3600
PRUNE_EVERY = 500
BUSY_TIMEOUT = 1.5
DEFAULT_LEASE_SECONDS = 45.0
# Databases written before claims had leases get the columns; a key without a lease counts as done.
LEASE_COLUMNS = {
    "slack_seen": {"claimed_by": "TEXT", "lease_until": "DOUBLE PRECISION", "done": "INTEGER NOT NULL DEFAULT 1"}
}


class SlackStore:
    """Claims, threads and approval messages; SQLite's or PostgreSQL's locking makes it safe across processes."""

    def __init__(self, db: Database | Path, *, lease_seconds: float = DEFAULT_LEASE_SECONDS):
        # A short busy timeout on SQLite: a claim runs before the ack, which Slack wants within
        # 3 s. If the database stays locked longer, the delivery fails (HTTP 500) and Slack
        # delivers it again.
        self.db = db if isinstance(db, Database) else SqliteDatabase(Path(db), busy_timeout=BUSY_TIMEOUT)
        self.lease_seconds = lease_seconds
        self.db.migrate(SCHEMA, LEASE_COLUMNS)
        self._claims = 0

    def close(self) -> None:
        self.db.close()

    # --- deliveries ----------------------------------------------------------------------------
    def claim(self, key: str) -> bool:
        """True for the first delivery of ``key`` in any process, and for a retry of one whose
        claim lapsed unanswered (its holder died); False for every other repeat."""
        now = time.time()
        holder, until = this_process(), now + self.lease_seconds
        cur = self.db.execute(
            "INSERT INTO slack_seen(key, seen_at, claimed_by, lease_until, done) VALUES (?, ?, ?, ?, 0)"
            " ON CONFLICT DO NOTHING",
            (key, now, holder, until),
        )
        if cur.rowcount != 1:
            cur = self.db.execute(
                "UPDATE slack_seen SET claimed_by = ?, lease_until = ? WHERE key = ? AND done = 0 AND lease_until < ?",
                (holder, until, key, now),
            )
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            self.db.execute("DELETE FROM slack_seen WHERE seen_at < ?", (now - SEEN_TTL_SECONDS,))
        return cur.rowcount == 1

    def finish(self, key: str) -> None:
        """The delivery was handled: its retries are duplicates from now on, lease or not."""
        self.db.execute("UPDATE slack_seen SET done = 1 WHERE key = ?", (key,))

    # --- threads -------------------------------------------------------------------------------
    def join_thread(self, thread_id: str) -> None:
        self.db.execute(
            "INSERT INTO slack_threads(thread_id, started_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (thread_id, time.time()),
        )

    def in_thread(self, thread_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM slack_threads WHERE thread_id = ?", (thread_id,)).fetchone() is not None

    # --- approval messages ---------------------------------------------------------------------
    def add_approval_message(self, request_id: str, channel: str, ts: str) -> None:
        self.db.execute(
            "INSERT INTO slack_approval_messages(request_id, channel, ts) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (request_id, channel, ts),
        )

    def approval_messages(self, request_id: str) -> list[tuple[str, str]]:
        rows = self.db.execute(
            "SELECT channel, ts FROM slack_approval_messages WHERE request_id = ?", (request_id,)
        ).fetchall()
        return [(r[0], r[1]) for r in rows]
