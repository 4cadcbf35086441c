"""Append-only, hash-chained audit log of approval requests, decisions and results.

One JSON object per line. Each record carries the hash of the previous one, so that editing or
deleting any line breaks the chain from there on, which ``portal-agent audit verify`` reports.
Appends take an exclusive file lock, so several processes (replicas, CLI and server) can share
one log. Everything written is passed through :func:`agent.redact.redact` first.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agent.redact import redact

GENESIS = "0" * 64


def _digest(prev_hash: str, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


class VerifyReport(BaseModel):
    ok: bool
    records: int
    first_bad_line: int | None = None
    reason: str | None = None


class AuditLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        """Write one record and return it (with its sequence number and hash)."""
        with open(self.path, "a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                last = self._last_record(fh)
                body = {
                    "seq": (last["seq"] + 1) if last else 1,
                    "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "event": event,
                    **redact(fields),
                }
                prev = last["hash"] if last else GENESIS
                record = {**body, "prev": prev, "hash": _digest(prev, body)}
                fh.seek(0, os.SEEK_END)
                fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return record

    @staticmethod
    def _last_record(fh) -> dict[str, Any] | None:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return None
        block = min(size, 65536)
        while True:
            fh.seek(size - block)
            tail = fh.read(block)
            lines = [line for line in tail.splitlines() if line.strip()]
            if len(lines) >= 2 or block == size:
                return json.loads(lines[-1])
            block = min(size, block * 4)

    def records(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)

    def find(self, **match: Any) -> list[dict[str, Any]]:
        """Records whose fields equal every given value (e.g. ``request_id=…, event=…``)."""
        return [r for r in self.records() if all(r.get(k) == v for k, v in match.items())]

    def verify(self) -> VerifyReport:
        prev = GENESIS
        count = 0
        if not self.path.exists():
            return VerifyReport(ok=True, records=0)
        with open(self.path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    return VerifyReport(ok=False, records=count, first_bad_line=lineno, reason=f"not JSON: {exc}")
                body = {k: v for k, v in record.items() if k not in ("prev", "hash")}
                if record.get("prev") != prev:
                    return VerifyReport(
                        ok=False,
                        records=count,
                        first_bad_line=lineno,
                        reason="chain broken: 'prev' does not match the previous record's hash "
                        "(a record was removed, reordered or inserted)",
                    )
                if _digest(prev, body) != record.get("hash"):
                    return VerifyReport(
                        ok=False,
                        records=count,
                        first_bad_line=lineno,
                        reason="record altered: its content does not match its hash",
                    )
                prev = record["hash"]
                count += 1
        return VerifyReport(ok=True, records=count)
