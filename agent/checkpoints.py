"""The conversation checkpointer: LangGraph's SQLite or PostgreSQL saver, usable from threads and the event loop.

LangGraph ships a sync ``SqliteSaver`` and an ``AsyncSqliteSaver`` built on aiosqlite, which runs
every statement on its own thread. A checkpoint write in WAL mode with ``synchronous=NORMAL``
takes tens of microseconds and never waits for the disk, so the two thread switches per statement
cost more than the statement: on the 2-core CI machine a one-node graph took 4.3 ms of CPU per run
with aiosqlite against 1.6 ms inline, and a streamed offline-planner turn (together with the
planner running on the event loop) went from 15.9 to 9.5 ms (``benchmarks/agent_overhead.py``).
This saver runs the statements inline instead, from whichever thread or coroutine asks, under the
sync saver's lock, so one connection and one compiled graph serve the CLI, Slack and the web.

What it trades: a statement that has to wait (another process holding the write lock, a WAL
checkpoint's fsync) blocks the event loop while it waits. Writers here hold the lock for
microseconds, so that wait is short.

With ``PORTAL_AGENT_DATABASE_URL=postgresql://…`` the checkpoints go to LangGraph's
``PostgresSaver`` over a psycopg pool, so every replica reads and continues every conversation.
Its async methods run inline the same way (a statement over a local socket takes well under a
millisecond; a slow database stalls the loop for as long as it is slow).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata, CheckpointTuple
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver

from agent.storage.database import is_postgres, lock_key


class _InlineAsync:
    """The async half of a saver as calls to its sync half (see the module docstring for why)."""

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return self.get_tuple(config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        # Read to the end first: the sync generator holds the saver's lock between items, and a
        # coroutine suspended while holding it would block every other one on this event loop.
        for found in list(self.list(config, filter=filter, before=before, limit=limit)):
            yield found

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return self.put(config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        self.put_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        self.delete_thread(thread_id)

    async def aget_delta_channel_history(self, *, config: RunnableConfig, channels: Sequence[str]) -> Mapping[str, Any]:
        return self.get_delta_channel_history(config=config, channels=channels)


class SqliteCheckpointer(_InlineAsync, SqliteSaver):
    @classmethod
    def open(cls, path: Path) -> SqliteCheckpointer:
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: still durable across a process kill
        return cls(conn)

    def close(self) -> None:
        with self.lock:
            self.conn.close()


class PostgresCheckpointer(_InlineAsync, PostgresSaver):
    @classmethod
    def open(cls, url: str, *, max_size: int = 8) -> PostgresCheckpointer:
        from psycopg import Connection
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        kwargs = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
        pool = ConnectionPool(url, min_size=1, max_size=max_size, kwargs=kwargs, open=True, name="checkpoints")
        saver = cls(pool)
        # Replicas starting together would each run the migrations; one at a time, each sees the
        # versions the previous one recorded and skips them.
        with Connection.connect(url, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (lock_key("portal-agent:checkpoint-migrations"),))
            saver.setup()
        return saver

    def close(self) -> None:
        self.conn.close()


def open_checkpointer(database_url: str | None, sqlite_path: Path) -> SqliteCheckpointer | PostgresCheckpointer:
    """PostgreSQL for a ``postgresql://`` URL (shared by replicas), else the SQLite file."""
    if is_postgres(database_url):
        return PostgresCheckpointer.open(str(database_url))
    return SqliteCheckpointer.open(sqlite_path)
