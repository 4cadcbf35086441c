"""Claims held by a process on another host: alive while it beats, gone once its beats stop."""

from __future__ import annotations

import time
from datetime import timedelta

from agent.gate.claims import this_process
from agent.gate.heartbeats import Heartbeats
from agent.gate.policy import ApprovalDecision
from agent.gate.store import ApprovalStore
from agent.storage.database import SqliteDatabase
from tests.support.approvals import approval_request as _request


def _other_host_beat(db: SqliteDatabase, holder: str, age: float) -> None:
    db.execute(
        "INSERT INTO claim_holders(holder, beat_at) VALUES (?, ?)"
        " ON CONFLICT (holder) DO UPDATE SET beat_at = excluded.beat_at",
        (holder, time.time() - age),
    )


def test_a_holder_elsewhere_is_alive_only_within_its_lease(tmp_path):
    db = SqliteDatabase(tmp_path / "shared.db")
    beats = Heartbeats(db, timedelta(seconds=5))
    _other_host_beat(db, "pod-x:17:999", age=1)
    _other_host_beat(db, "pod-y:17:999", age=6)
    assert beats.alive("pod-x:17:999") is True
    assert beats.alive("pod-y:17:999") is False
    assert beats.alive("pod-z:17:999") is False  # never beat: nothing vouches for it
    assert beats.alive(None) is False
    assert beats.alive(this_process()) is True  # this host: checked by pid, no beat needed


def test_keep_beating_refreshes_this_process_and_forgets_long_gone_holders(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_AGENT_INSTANCE_ID", "pod-a")
    db = SqliteDatabase(tmp_path / "shared.db")
    beats = Heartbeats(db, timedelta(seconds=0.3))
    _other_host_beat(db, "pod-old:1:1", age=60)
    beats.keep_beating()
    try:
        first = db.execute("SELECT beat_at FROM claim_holders WHERE holder = ?", (this_process(),)).fetchone()[0]
        time.sleep(0.5)
        later = db.execute("SELECT beat_at FROM claim_holders WHERE holder = ?", (this_process(),)).fetchone()[0]
        assert later > first  # the daemon thread beats on its own
        holders = {h for (h,) in db.execute("SELECT holder FROM claim_holders").fetchall()}
        assert "pod-old:1:1" not in holders
    finally:
        beats.stop()


def test_an_executing_claim_from_a_silent_host_settles_as_unknown(tmp_path):
    db = SqliteDatabase(tmp_path / "shared.db")
    store = ApprovalStore(db, holder_lease=timedelta(seconds=5))
    pending = _request()
    store.add_pending(pending)
    decision = ApprovalDecision(request_id="req-1", decision="approve", approver="user:default/olga", args_hash="h")
    assert store.claim(pending.id, "approved", decision)
    assert store.start_execution(pending.id)
    store.holders.stop()
    db.execute("UPDATE approvals SET claimed_by = 'pod-b:42:7' WHERE id = ?", (pending.id,))
    _other_host_beat(db, "pod-b:42:7", age=1)
    assert store.row(pending.id).holder_gone() is False
    assert store.mark_unknown(pending.id) is False  # pod-b still beats: it may be running it right now
    _other_host_beat(db, "pod-b:42:7", age=10)
    assert store.row(pending.id).holder_gone() is True
    assert store.mark_unknown(pending.id) is True
    assert store.status(pending.id) == "unknown"
