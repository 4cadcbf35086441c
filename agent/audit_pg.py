"""The audit chain in the shared database, for replicas that do not share a file system.

Same records, hashes, MACs and head checkpoint as :class:`agent.audit.AuditLog`; the chain lives
in ``audit_records`` (one row per record, ``seq`` its primary key) and the head in ``audit_head``.
Appends are serialized by a transaction-level advisory lock on PostgreSQL (``BEGIN IMMEDIATE`` on
SQLite), taken before the chain's last record is read: two replicas appending at once each see
the other's record, and the chain never forks. The head is written in the same transaction.

The MAC key is not stored in the database (whoever can write the rows could then recompute
them): every replica is given the same key (``PORTAL_AGENT_AUDIT_KEY``, hex), or falls back to
the key file in its data directory, which only suits a single host.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.audit import AuditLog, VerifyReport, _mac, _Verification, next_record
from agent.storage.database import Database, database, is_postgres

if TYPE_CHECKING:
    from agent.runtime import Runtime

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_records (
    seq BIGINT PRIMARY KEY,
    event TEXT NOT NULL,
    request_id TEXT,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_records_request ON audit_records(request_id, event);
CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY,
    records BIGINT NOT NULL,
    hash TEXT NOT NULL,
    mac TEXT NOT NULL
);
"""
CHAIN_LOCK = "portal-agent:audit-chain"


class DatabaseAuditLog(AuditLog):
    def __init__(self, db: Database, key_dir: Path, *, key: bytes | None = None):
        super().__init__(key_dir / "audit.jsonl", key=key)
        self.db = db
        db.migrate(SCHEMA)

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        key = self._key or self._key_from_file(create=True)
        with self.db.transaction(lock=CHAIN_LOCK) as tx:
            row = tx.execute("SELECT record FROM audit_records ORDER BY seq DESC LIMIT 1").fetchone()
            record = next_record(json.loads(row[0]) if row else None, event, fields, key)
            tx.execute(
                "INSERT INTO audit_records(seq, event, request_id, record) VALUES (?, ?, ?, ?)",
                (record["seq"], event, fields.get("request_id"), json.dumps(record, ensure_ascii=False, default=str)),
            )
            head_mac = _mac(key, f"head:{record['seq']}:{record['hash']}")
            tx.execute(
                "INSERT INTO audit_head(id, records, hash, mac) VALUES (1, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET records = excluded.records, hash = excluded.hash, mac = excluded.mac",
                (record["seq"], record["hash"], head_mac),
            )
        return record

    def records(self) -> Iterator[dict[str, Any]]:
        for (text,) in self.db.execute("SELECT record FROM audit_records ORDER BY seq").fetchall():
            yield json.loads(text)

    def find(self, **match: Any) -> list[dict[str, Any]]:
        if set(match) <= {"event", "request_id"} and match:  # the indexed lookups the gate makes
            where = " AND ".join(f"{column} = ?" for column in match)
            rows = self.db.execute(
                f"SELECT record FROM audit_records WHERE {where} ORDER BY seq", tuple(match.values())
            )
            return [json.loads(text) for (text,) in rows.fetchall()]
        return super().find(**match)

    def verify(self) -> VerifyReport:
        key = self._key or self._key_from_file(create=False)
        with self.db.transaction() as tx:  # one snapshot: no append lands between the rows and the head
            lines = [text for (text,) in tx.execute("SELECT record FROM audit_records ORDER BY seq").fetchall()]
            row = tx.execute("SELECT records, hash, mac FROM audit_head WHERE id = 1").fetchone()
        head = {"records": int(row[0]), "hash": row[1], "mac": row[2]} if row else None
        if not lines and head is None:
            return VerifyReport(ok=True, records=0)
        return _Verification(key, head, None).run(iter(lines))


def audit_log(runtime: Runtime) -> AuditLog:
    """The chain in PostgreSQL when replicas share one, else the file in the data directory."""
    secret = runtime.settings.audit_key
    key = bytes.fromhex(secret.get_secret_value()) if secret is not None else None
    if is_postgres(runtime.settings.database_url):
        return runtime.service("audit.log", lambda: DatabaseAuditLog(database(runtime), runtime.data_dir, key=key))
    return AuditLog(runtime.data_dir / "audit.jsonl", key=key)
