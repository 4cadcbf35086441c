"""Rate-limit buckets in the shared PostgreSQL database, so a caller's limit holds across replicas.

The same token bucket as :class:`connectors.web.auth.RateLimiter` (``per_minute`` requests,
refilled continuously, a burst of ``capacity``), one row per caller and limiter. The row is read
``FOR UPDATE`` inside a transaction, so concurrent requests of one caller on several replicas
take their tokens one after the other. Times are wall-clock seconds (replicas share no monotonic
clock). Without PostgreSQL the per-process limiter stays: one process is the whole deployment.
"""

from __future__ import annotations

import time

from agent.runtime import Runtime
from agent.storage.database import Database, database, is_postgres
from connectors.web.auth import RateLimiter

SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_buckets (
    key TEXT PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    last_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_buckets_last ON rate_buckets(last_at);
"""
PRUNE_EVERY = 1000


class SharedRateLimiter:
    def __init__(self, db: Database, name: str, per_minute: int, burst: int | None = None):
        self.db, self.name, self.per_minute = db, name, per_minute
        self.capacity = float(burst or max(1, min(per_minute, 10)) if per_minute else 0)
        self._calls = 0
        db.migrate(SCHEMA)

    def allow(self, key: str) -> tuple[bool, float]:
        """Whether one more request is allowed now, and if not, seconds until it will be."""
        if self.per_minute <= 0:
            return True, 0.0
        rate, now, row_key = self.per_minute / 60.0, time.time(), f"{self.name}:{key}"
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO rate_buckets(key, tokens, last_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (row_key, self.capacity, now),
            )
            tokens, last = tx.execute(
                "SELECT tokens, last_at FROM rate_buckets WHERE key = ? FOR UPDATE", (row_key,)
            ).fetchone()
            tokens = min(self.capacity, tokens + max(0.0, now - last) * rate)
            allowed = tokens >= 1.0
            tx.execute(
                "UPDATE rate_buckets SET tokens = ?, last_at = ? WHERE key = ?",
                (tokens - 1.0 if allowed else tokens, now, row_key),
            )
        self._calls += 1
        if self._calls % PRUNE_EVERY == 0:  # a bucket idle long enough to be full again is the same as none
            self.db.execute("DELETE FROM rate_buckets WHERE last_at < ?", (now - self.capacity / rate,))
        return (True, 0.0) if allowed else (False, (1.0 - tokens) / rate)


def rate_limiter(runtime: Runtime, name: str, per_minute: int) -> RateLimiter | SharedRateLimiter:
    """Shared buckets when replicas share PostgreSQL, else the process's own."""
    if is_postgres(runtime.settings.database_url) and per_minute > 0:
        return SharedRateLimiter(database(runtime), name, per_minute)
    return RateLimiter(per_minute)
