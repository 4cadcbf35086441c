"""One run at a time per conversation, within a process and, on PostgreSQL, across replicas.

Two runs on one thread would both start from the same checkpoint and one's messages would be
lost (or an interrupt resumed twice). Within a process a lock per thread id is enough; replicas
sharing PostgreSQL also take a session-level advisory lock keyed by the thread id, on one
connection the process keeps for its locks. A replica killed mid-run loses its session, and the
database releases its locks with it: no lease to wait out, nothing left held.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from agent.storage.database import is_postgres, lock_key

POLL_SECONDS = 0.02


class RunLocks:
    def __init__(self, database_url: str | None = None):
        self._url = str(database_url) if is_postgres(database_url) else None
        self._guard = threading.Lock()
        self._local: dict[str, list[Any]] = {}  # thread id -> [lock, holders and waiters]
        self._conn: Any = None
        self._conn_lock = threading.Lock()

    # --- within the process -----------------------------------------------------------------
    def _local_lock(self, thread_id: str) -> threading.Lock:
        with self._guard:
            entry = self._local.setdefault(thread_id, [threading.Lock(), 0])
            entry[1] += 1
            return entry[0]

    def _forget(self, thread_id: str) -> None:
        with self._guard:
            entry = self._local[thread_id]
            entry[1] -= 1
            if entry[1] == 0:
                del self._local[thread_id]

    # --- across replicas ----------------------------------------------------------------------
    def _connection(self) -> Any:
        from psycopg import Connection

        if self._conn is None or self._conn.closed:
            self._conn = Connection.connect(self._url, autocommit=True)
        return self._conn

    def _try_shared(self, thread_id: str) -> bool:
        if self._url is None:
            return True
        with self._conn_lock:
            row = self._connection().execute("SELECT pg_try_advisory_lock(%s)", (lock_key(thread_id),)).fetchone()
        return bool(row and row[0])

    def _release_shared(self, thread_id: str) -> None:
        if self._url is None:
            return
        with self._conn_lock:
            if self._conn is not None and not self._conn.closed:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(thread_id),))

    # --- holding ------------------------------------------------------------------------------
    @contextmanager
    def hold(self, thread_id: str) -> Iterator[None]:
        """Wait until no other run on ``thread_id`` is going, here or in another replica."""
        local = self._local_lock(thread_id)
        try:
            with local:
                while not self._try_shared(thread_id):
                    time.sleep(POLL_SECONDS)
                try:
                    yield
                finally:
                    self._release_shared(thread_id)
        finally:
            self._forget(thread_id)

    @asynccontextmanager
    async def ahold(self, thread_id: str) -> AsyncIterator[None]:
        """:meth:`hold` for the event loop: waiting never blocks it."""
        local = self._local_lock(thread_id)
        try:
            while not local.acquire(blocking=False):
                await asyncio.sleep(POLL_SECONDS)
            try:
                while not self._try_shared(thread_id):
                    await asyncio.sleep(POLL_SECONDS)
                try:
                    yield
                finally:
                    self._release_shared(thread_id)
            finally:
                local.release()
        finally:
            self._forget(thread_id)

    def close(self) -> None:
        with self._conn_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
