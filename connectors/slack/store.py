"""Slack bookkeeping in the shared SQLite database, so that several replicas agree.

Three small tables next to the approvals table in ``<data_dir>/portal-agent.db``:

- ``slack_seen``: delivery keys (event ids, interaction trigger ids). ``INSERT OR IGNORE`` on the
  primary key is atomic across processes, so exactly one replica claims a delivery and Slack's
  retries (``X-Slack-Retry-Num``) are acknowledged without being answered again.
- ``slack_threads``: threads the assistant takes part in, so that follow-ups in a channel thread
  are answered without a new mention while unrelated threads are left alone.
- ``slack_approval_messages``: every message showing an approval request (the thread's and the
  owning team's channel's), so that all of them are updated once it is decided.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_seen (
    key TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS slack_seen_at ON slack_seen(seen_at);
CREATE TABLE IF NOT EXISTS slack_threads (
    thread_id TEXT PRIMARY KEY,
    started_at REAL NOT NULL
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


class SlackStore:
    """One connection per process (writes are tiny); SQLite's locking makes it safe across processes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # A short busy timeout: a claim runs before the ack, which Slack wants within 3 s. If the
        # database stays locked longer, the delivery fails (HTTP 500) and Slack delivers it again.
        self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._claims = 0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- deliveries ----------------------------------------------------------------------------
    def claim(self, key: str) -> bool:
        """True for the first delivery of ``key`` in any process; False for every repeat."""
        with self._lock:
            cur = self._db.execute("INSERT OR IGNORE INTO slack_seen(key, seen_at) VALUES (?, ?)", (key, time.time()))
            self._claims += 1
            if self._claims % PRUNE_EVERY == 0:
                self._db.execute("DELETE FROM slack_seen WHERE seen_at < ?", (time.time() - SEEN_TTL_SECONDS,))
            return cur.rowcount == 1

    # --- threads -------------------------------------------------------------------------------
    def join_thread(self, thread_id: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO slack_threads(thread_id, started_at) VALUES (?, ?)", (thread_id, time.time())
            )

    def in_thread(self, thread_id: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM slack_threads WHERE thread_id = ?", (thread_id,)).fetchone()
        return row is not None

    # --- approval messages ---------------------------------------------------------------------
    def add_approval_message(self, request_id: str, channel: str, ts: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO slack_approval_messages(request_id, channel, ts) VALUES (?, ?, ?)",
                (request_id, channel, ts),
            )

    def approval_messages(self, request_id: str) -> list[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT channel, ts FROM slack_approval_messages WHERE request_id = ?", (request_id,)
            ).fetchall()
        return [(r[0], r[1]) for r in rows]
