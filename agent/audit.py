"""Append-only, hash-chained and keyed audit log of approval requests, decisions and results.

One JSON object per line. Each record carries the hash of the previous one, so that editing,
inserting or deleting a line breaks the chain from there on. A chain alone can be recomputed by
anyone, and cutting off its last lines leaves a valid chain, so the log is also anchored:

- every record carries ``mac``, an HMAC-SHA256 of its hash under a key kept next to the log
  (``audit.key``, 0600, generated on first use): a recomputed chain fails without the key;
- a head checkpoint kept apart from the log (``audit.head``: the record count and the last hash,
  MACed too) is rewritten after every append: a log shorter than its head, or whose record at
  the head's position has another hash, was truncated or rewritten.

``portal-agent audit verify`` checks all three. What it cannot prove: someone who can read the
key (the data directory's owner, root) can rewrite the log, its MACs and its head consistently;
compare the head it prints with a copy kept elsewhere to catch that. See the README.

Appends take an exclusive file lock, so several processes (replicas, CLI and server) can share
one log; verification takes a shared one. Everything written is passed through
:func:`agent.redact.redact` first.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agent.redact import redact
from contract.private_files import PRIVATE_DIR, open_private, write_private

GENESIS = "0" * 64
UNSIGNED = ("prev", "hash", "mac")  # the fields a record's hash does not cover


def _digest(prev_hash: str, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def next_record(last: dict[str, Any] | None, event: str, fields: dict[str, Any], key: bytes) -> dict[str, Any]:
    """The record after ``last`` in a chain: numbered, timestamped, redacted, hashed onto ``last``
    and MACed (the file log and the PostgreSQL log build theirs alike)."""
    body = {
        "seq": (last["seq"] + 1) if last else 1,
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "event": event,
        **redact(fields),
    }
    prev = last["hash"] if last else GENESIS
    digest = _digest(prev, body)
    return {**body, "prev": prev, "hash": digest, "mac": _mac(key, f"record:{digest}")}


class VerifyReport(BaseModel):
    ok: bool
    records: int
    first_bad_line: int | None = None
    reason: str | None = None
    anchored: bool = False  # records carry MACs and a head checkpoint vouches for the end
    head: str | None = None  # "<records>:<last hash>", to compare with a copy kept elsewhere


class AuditLog:
    def __init__(self, path: Path, *, key: bytes | None = None):
        """``key`` overrides the key file next to the log (for a key kept outside the data dir)."""
        self.path = Path(path)
        self.path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        self.key_path = self.path.with_suffix(".key")
        self.head_path = self.path.with_suffix(".head")
        self._key = key

    # --- writing -------------------------------------------------------------------------------
    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        """Write one record and return it (with its sequence number, hash and MAC)."""
        with open_private(self.path, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                key = self._key or self._key_from_file(create=True)
                record = next_record(self._last_record(fh), event, fields, key)
                fh.seek(0, os.SEEK_END)
                fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
                # After the record is durable: a crash in between leaves the head one record behind,
                # which verification accepts (that record's MAC vouches for it), never ahead.
                self._write_head(key, record["seq"], record["hash"])
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return record

    def _key_from_file(self, *, create: bool) -> bytes | None:
        """The MAC key; on first use (under the log's lock) a new random one, private to the owner."""
        try:
            return bytes.fromhex(self.key_path.read_text(encoding="ascii").strip())
        except FileNotFoundError:
            if not create:
                return None
        key = secrets.token_bytes(32)
        write_private(self.key_path, key.hex() + "\n")
        return key

    def _write_head(self, key: bytes, records: int, digest: str) -> None:
        head = {"records": records, "hash": digest, "mac": _mac(key, f"head:{records}:{digest}")}
        write_private(self.head_path, json.dumps(head) + "\n")

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

    # --- reading -------------------------------------------------------------------------------
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
        """Check the chain, every record's MAC and the head checkpoint (see the module docstring)."""
        key = self._key or self._key_from_file(create=False)
        if not self.path.exists():
            if self.head_path.exists() or key is not None:
                return VerifyReport(ok=False, records=0, reason="the audit log is missing, but its key or head exists")
            return VerifyReport(ok=True, records=0)
        with open(self.path, encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_SH)  # no append is half-written while we read
            try:
                head, head_error = self._read_head()
                return _Verification(key, head, head_error).run(fh)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _read_head(self) -> tuple[dict[str, Any] | None, str | None]:
        try:
            head = json.loads(self.head_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None, None
        except (OSError, ValueError) as exc:
            return None, f"the head checkpoint {self.head_path} is unreadable: {exc}"
        if not (isinstance(head, dict) and isinstance(head.get("records"), int) and isinstance(head.get("hash"), str)):
            return None, f"the head checkpoint {self.head_path} is not a head checkpoint"
        return head, None


class _Verification:
    """One pass over the log: the chain, each record's MAC, then the head checkpoint."""

    def __init__(self, key: bytes | None, head: dict[str, Any] | None, head_error: str | None):
        self.key, self.head, self.head_error = key, head, head_error
        self.count, self.lineno, self.signed = 0, 0, False
        self.hash_at_head: str | None = None

    def fail(self, reason: str, line: int | None = None) -> VerifyReport:
        return VerifyReport(ok=False, records=self.count, first_bad_line=line, reason=reason, anchored=self.signed)

    def run(self, fh) -> VerifyReport:
        prev = GENESIS
        for lineno, line in enumerate(fh, start=1):
            self.lineno = lineno
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                return self.fail(f"not JSON: {exc}", lineno)
            problem = self._check(record, prev)
            if problem:
                return self.fail(problem, lineno)
            prev = record["hash"]
            self.count += 1
            if self.head is not None and self.count == self.head["records"]:
                self.hash_at_head = prev
        return self._check_end(prev)

    def _check(self, record: dict[str, Any], prev: str) -> str | None:
        body = {k: v for k, v in record.items() if k not in UNSIGNED}
        if record.get("prev") != prev:
            return (
                "chain broken: 'prev' does not match the previous record's hash "
                "(a record was removed, reordered or inserted)"
            )
        if _digest(prev, body) != record.get("hash"):
            return "record altered: its content does not match its hash"
        if "mac" not in record:
            if self.signed:
                return "record has no MAC although earlier ones do: it was inserted or rewritten without the key"
            return None  # written before the log was anchored: the chain of later records covers it
        if self.key is None:
            return "records carry MACs but the key is missing: a recomputed chain cannot be told from the real one"
        if not hmac.compare_digest(_mac(self.key, f"record:{record['hash']}"), str(record["mac"])):
            return "MAC mismatch: the chain was recomputed without the key (or the key was replaced)"
        self.signed = True
        return None

    def _check_end(self, last_hash: str) -> VerifyReport:
        after = self.lineno + 1
        if self.head_error:
            return self.fail(self.head_error, after)
        if self.head is None:
            if self.signed or self.key is not None:
                return self.fail("the head checkpoint is missing: the end of the log cannot be vouched for", after)
            return VerifyReport(
                ok=True,
                records=self.count,
                reason="chain intact but not anchored: no record carries a MAC (written before anchoring)",
            )
        records, digest = self.head["records"], self.head["hash"]
        if self.key is None or not hmac.compare_digest(
            _mac(self.key, f"head:{records}:{digest}"), str(self.head.get("mac", ""))
        ):
            return self.fail("the head checkpoint's MAC does not match: it was forged or the key was replaced", after)
        if records > self.count:
            return self.fail(
                f"truncated: the head checkpoint vouches for {records} records, the log holds {self.count} "
                f"(the last {records - self.count} were removed)",
                after,
            )
        if self.hash_at_head != digest:
            return self.fail(f"rewritten: record {records} is not the one the head checkpoint vouches for", after)
        return VerifyReport(ok=True, records=self.count, anchored=True, head=f"{self.count}:{last_hash}")
