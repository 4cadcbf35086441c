"""The one shared database of a deployment: SQLite in the data directory, or PostgreSQL.

Every store of shared state (approvals, Slack deliveries, web threads, the audit chain) talks to a
:class:`Database` and writes its SQL once, in the dialect both engines agree on: ``?``
placeholders (rewritten to ``%s`` for psycopg), ``INSERT … ON CONFLICT DO NOTHING`` instead of
``INSERT OR IGNORE``, ``DOUBLE PRECISION`` for times (SQLite reads it as REAL; PostgreSQL's
``REAL`` would round an epoch to minutes). Only what the engines cannot share lives here:
connecting, transactions that serialize writers, and adding a column to an older table.

``PORTAL_AGENT_DATABASE_URL=postgresql://…`` chooses PostgreSQL (a psycopg 3 pool, autocommit:
each statement is its own transaction unless a store asks for :meth:`Database.transaction`);
without it one SQLite file, ``<data_dir>/portal-agent.db``, is shared by the processes of one host.
"""

from __future__ import annotations

import sqlite3
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from agent.runtime import Runtime


class Result:
    """What a statement returned, read to the end so the connection can go back to its pool."""

    def __init__(self, rowcount: int, rows: list[tuple]):
        self.rowcount = rowcount
        self.rows = rows

    def fetchall(self) -> list[tuple]:
        return self.rows

    def fetchone(self) -> tuple | None:
        return self.rows[0] if self.rows else None


class Executor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result: ...


class Database:
    """The interface the stores use; :func:`open_database` picks the engine from the URL."""

    dialect: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        raise NotImplementedError

    @contextmanager
    def transaction(self, lock: str | None = None) -> Iterator[Executor]:
        """Statements run atomically; with ``lock``, writers naming the same lock run one at a time."""
        raise NotImplementedError
        yield  # pragma: no cover

    def migrate(self, schema: str, columns: dict[str, dict[str, str]] | None = None) -> None:
        """Create the tables (idempotent) and add ``columns`` ({table: {column: type}}) older ones lack."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def _statements(schema: str) -> list[str]:
    lines = [line.split("--", 1)[0] for line in schema.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


class SqliteDatabase(Database):
    """One connection per process; SQLite's file locking keeps the processes of one host consistent."""

    dialect = "sqlite"

    def __init__(self, path: Path, *, busy_timeout: float = 30.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across a process kill

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        with self._lock:
            cur = self._db.execute(sql, tuple(params))
            return Result(cur.rowcount, cur.fetchall())

    @contextmanager
    def transaction(self, lock: str | None = None) -> Iterator[Executor]:
        # BEGIN IMMEDIATE takes the database's write lock at once: one writer at a time, any lock name.
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def migrate(self, schema: str, columns: dict[str, dict[str, str]] | None = None) -> None:
        with self._lock:
            self._db.executescript(schema)
            for table, wanted in (columns or {}).items():
                present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
                for column, kind in wanted.items():
                    if column not in present:
                        self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    def close(self) -> None:
        with self._lock:
            self._db.close()


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_*lock`` from a name (a thread id, a chain)."""
    high = zlib.crc32(name.encode("utf-8"))
    low = zlib.crc32(name[::-1].encode("utf-8"))
    key = (high << 32) | low
    return key - (1 << 64) if key >= 1 << 63 else key


class PostgresDatabase(Database):
    """A small psycopg 3 pool shared by the process's stores (the checkpointer has its own)."""

    dialect = "postgresql"

    def __init__(self, url: str, *, max_size: int = 8):
        from psycopg_pool import ConnectionPool

        self.url = url
        self.pool = ConnectionPool(
            url, min_size=1, max_size=max_size, kwargs={"autocommit": True}, open=True, name="portal-agent"
        )
        self.pool.wait(timeout=30)

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        with self.pool.connection() as conn:
            return _run(conn, self._sql(sql), params)

    @contextmanager
    def transaction(self, lock: str | None = None) -> Iterator[Executor]:
        with self.pool.connection() as conn, conn.transaction():
            if lock is not None:  # released by the COMMIT: a writer killed mid-way frees it too
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(lock),))
            yield _Bound(conn)

    def migrate(self, schema: str, columns: dict[str, dict[str, str]] | None = None) -> None:
        # Replicas starting together would race on CREATE … IF NOT EXISTS (a unique violation in
        # the catalog); the advisory lock makes the first one create and the others find it.
        with self.transaction(lock="portal-agent:migrations") as tx:
            for statement in _statements(schema):
                tx.execute(statement)
            for table, wanted in (columns or {}).items():
                for column, kind in wanted.items():
                    tx.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")

    def close(self) -> None:
        self.pool.close()


class _Bound:
    """One pooled connection inside a transaction, with the shared placeholder style."""

    def __init__(self, conn: Any):
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        return _run(self.conn, PostgresDatabase._sql(sql), params)


def _run(conn: Any, sql: str, params: Sequence[Any]) -> Result:
    cur = conn.execute(sql, tuple(params))
    rows = cur.fetchall() if cur.description is not None else []
    return Result(cur.rowcount, [tuple(r) for r in rows])


def is_postgres(url: str | None) -> bool:
    return bool(url) and str(url).split(":", 1)[0] in ("postgresql", "postgres")


def open_database(url: str | None, data_dir: Path) -> Database:
    """PostgreSQL for a ``postgresql://`` URL, else the SQLite file in ``data_dir``."""
    if is_postgres(url):
        return PostgresDatabase(str(url))
    if url:
        raise ValueError(f"PORTAL_AGENT_DATABASE_URL: expected postgresql://…, got a {str(url).split(':', 1)[0]!r} URL")
    return SqliteDatabase(data_dir / "portal-agent.db")


def database(runtime: Runtime) -> Database:
    """The process's one database handle, shared by every store."""
    return runtime.service("storage.database", lambda: open_database(runtime.settings.database_url, runtime.data_dir))
