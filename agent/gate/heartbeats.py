"""Whether a claim's holder on another host still runs: by the heartbeats it writes to the shared database.

A holder on this host is checked directly (:func:`agent.gate.claims.holder_alive`: pid and start
time). One on another host (another replica's pod) cannot be, and a killed pod's replacement has a
new name, so "that host recovers its own work" never happens there. Instead each process that
holds a claim beats: it records ``(holder, now)`` in ``claim_holders`` every ``lease / 3`` seconds
while it runs. A holder whose last beat is older than the lease is gone: its ``deciding`` claim
may be taken over and its ``executing`` one is settled as outcome unknown by whichever replica
looks next (never run again).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from agent.gate.claims import holder_alive, on_this_host, this_process
from agent.storage.database import Database

log = logging.getLogger(__name__)

HOLDER_LEASE = timedelta(seconds=30)

SCHEMA = """
CREATE TABLE IF NOT EXISTS claim_holders (
    holder TEXT PRIMARY KEY,          -- instance:pid:start, as agent.gate.claims.this_process names it
    beat_at DOUBLE PRECISION NOT NULL -- epoch seconds of its last heartbeat
);
"""


class Heartbeats:
    """This process's heartbeat, and the liveness of other processes' claims, in one shared table."""

    def __init__(self, db: Database, lease: timedelta = HOLDER_LEASE):
        self.db = db
        self.lease = lease
        self.db.migrate(SCHEMA)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def beat(self) -> None:
        """Record that this process runs, now."""
        self.db.execute(
            "INSERT INTO claim_holders(holder, beat_at) VALUES (?, ?)"
            " ON CONFLICT (holder) DO UPDATE SET beat_at = excluded.beat_at",
            (this_process(), time.time()),
        )

    def keep_beating(self) -> None:
        """Beat now and, from a daemon thread, every third of the lease for as long as the process runs.

        Called before each claim is taken, so a holder's first beat is never later than its claim.
        """
        self.beat()
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="claim-heartbeat", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop beating (graceful shutdown releases the claims first; tests simulate a dead holder)."""
        self._stop.set()

    def _run(self) -> None:
        try:
            self.forget_stale()
        except Exception:
            log.warning("could not drop stale claim heartbeats", exc_info=True)
        interval = max(self.lease.total_seconds() / 3, 0.05)
        while not self._stop.wait(interval):
            try:
                self.beat()
            except Exception:  # a database hiccup: the next beat tries again, well within the lease
                log.warning("could not record this process's claim heartbeat", exc_info=True)

    def alive(self, holder: str | None) -> bool:
        """Whether ``holder`` may still be running: checked directly on this host, by heartbeat elsewhere."""
        if not holder:
            return False
        if on_this_host(holder):
            return holder_alive(holder)
        row = self.db.execute("SELECT beat_at FROM claim_holders WHERE holder = ?", (holder,)).fetchone()
        return row is not None and time.time() - float(row[0]) < self.lease.total_seconds()

    def forget_stale(self) -> int:
        """Drop heartbeats of holders gone for ten leases (the table stays as small as the live fleet)."""
        cur = self.db.execute(
            "DELETE FROM claim_holders WHERE beat_at < ?", (time.time() - 10 * self.lease.total_seconds(),)
        )
        return cur.rowcount
