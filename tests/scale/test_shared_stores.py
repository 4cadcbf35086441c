"""The shared stores on a real PostgreSQL server, written to by several processes at once."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from agent.audit_pg import DatabaseAuditLog
from agent.gate.policy import ApprovalDecision
from agent.gate.store import ApprovalStore
from agent.storage.database import PostgresDatabase
from connectors.slack.store import SlackStore
from connectors.web.shared_limits import SharedRateLimiter
from connectors.web.threads import ThreadStore
from tests.support.approvals import approval_request as _request

KEY = bytes(range(32))


def _claim(url: str, barrier, results) -> None:
    store = ApprovalStore(PostgresDatabase(url))
    decision = ApprovalDecision(request_id="req-1", decision="approve", approver="user:default/olga", args_hash="h")
    barrier.wait()
    results.put((store.claim("req-1", "deciding", decision), store.start_execution("req-1")))


def _append(url: str, key_dir: str, worker: int, results) -> None:
    log = DatabaseAuditLog(PostgresDatabase(url), Path(key_dir), key=KEY)
    for n in range(25):
        log.append("test.event", worker=worker, n=n)
    results.put(worker)


def test_an_approval_is_claimed_once_when_processes_race(postgres_url):
    store = ApprovalStore(PostgresDatabase(postgres_url))
    store.add_pending(_request())
    store.add_pending(_request())  # a replayed node changes nothing
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    workers = [ctx.Process(target=_claim, args=(postgres_url, barrier, results)) for _ in range(4)]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(60)
    assert sum(claimed for claimed, _ in outcomes) == 1
    assert store.status("req-1") == "deciding"
    store.finish("req-1", "approved")
    assert store.start_execution("req-1") and not store.start_execution("req-1")


def test_the_audit_chain_verifies_after_concurrent_writers(postgres_url, tmp_path):
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    workers = [ctx.Process(target=_append, args=(postgres_url, str(tmp_path), n, results)) for n in range(3)]
    for w in workers:
        w.start()
    assert sorted(results.get(timeout=120) for _ in workers) == [0, 1, 2]
    for w in workers:
        w.join(60)
    log = DatabaseAuditLog(PostgresDatabase(postgres_url), tmp_path, key=KEY)
    report = log.verify()
    assert report.ok, report.reason
    assert report.records == 75 and report.anchored
    assert [r["seq"] for r in log.records()] == list(range(1, 76))
    # tampering is caught: one record's content changed in the database
    log.db.execute("UPDATE audit_records SET record = replace(record, 'test.event', 'test.evil') WHERE seq = 10")
    assert not log.verify().ok


def test_a_slack_claim_lapses_only_when_unanswered(postgres_url):
    first = SlackStore(PostgresDatabase(postgres_url), lease_seconds=0.5)
    second = SlackStore(PostgresDatabase(postgres_url), lease_seconds=0.5)
    assert first.claim("event:E1") and not second.claim("event:E1")  # a retry within the lease
    assert first.claim("event:E2")
    first.finish("event:E2")
    time.sleep(0.6)
    assert second.claim("event:E1"), "the holder never finished: its lease lapsed, another replica answers"
    assert not second.claim("event:E2"), "answered deliveries stay duplicates after the lease"
    assert not first.claim("event:E1")


def test_web_thread_ownership_is_shared(postgres_url):
    a, b = ThreadStore(PostgresDatabase(postgres_url)), ThreadStore(PostgresDatabase(postgres_url))
    assert a.create("t1", "user:default/wendy") is not None
    assert b.create("t1", "user:default/olga") is None
    b.update("t1", title="first question", status="busy")
    found = a.get("t1")
    assert found is not None and found.owner == "user:default/wendy" and found.title == "first question"
    assert [r.thread_id for r in b.search("user:default/wendy")] == ["t1"]


def test_a_callers_rate_limit_holds_across_replicas(postgres_url):
    a = SharedRateLimiter(PostgresDatabase(postgres_url), "run", per_minute=6, burst=3)
    b = SharedRateLimiter(PostgresDatabase(postgres_url), "run", per_minute=6, burst=3)
    allowed = [limiter.allow("user:default/wendy")[0] for limiter in (a, b, a, b)]
    assert allowed == [True, True, True, False]  # three in the burst, wherever they land
    ok, retry_after = b.allow("user:default/wendy")
    assert not ok and 0 < retry_after <= 10
    assert a.allow("user:default/olga")[0], "another caller has a bucket of their own"
    assert SharedRateLimiter(PostgresDatabase(postgres_url), "read", per_minute=6, burst=3).allow("user:default/wendy")[
        0
    ], "each limiter counts apart"


def test_feedback_given_on_either_replica_is_exported_once(postgres_url):
    from agent.feedback import FeedbackStore, Turn

    a, b = FeedbackStore(PostgresDatabase(postgres_url)), FeedbackStore(PostgresDatabase(postgres_url))
    turn = Turn(number=1, question="who owns checkout?", answer="team-payments", tool_calls=[{"name": "catalog"}])
    a.record("t1", turn, "bad", "user:default/wendy", "web", comment="token=hunter2hunter2hunter2")
    b.record("t1", turn, "good", "user:default/wendy", "slack")  # the same person changes their mind elsewhere
    b.record("t2", turn, "bad", "user:default/olga", "slack")
    rows = a.rows()
    assert [(r.thread_id, r.rating, r.principal) for r in rows] == [
        ("t1", "good", "user:default/wendy"),
        ("t2", "bad", "user:default/olga"),
    ]
    assert [r.thread_id for r in b.rows("bad")] == ["t2"]


def test_audit_verify_reads_the_deployments_chain_in_postgresql(postgres_url, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from portal_agent.cli import app

    key = "cd" * 32
    log = DatabaseAuditLog(PostgresDatabase(postgres_url), tmp_path, key=bytes.fromhex(key))
    for n in range(3):
        log.append("test.event", n=n)
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "PORTAL_AGENT_DATABASE_URL": postgres_url,
        "PORTAL_AGENT_AUDIT_KEY": key,
        "PORTAL_AGENT_DATA_DIR": str(tmp_path / "other"),
    }.items():
        monkeypatch.setenv(name, value)
    ok = CliRunner().invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "ok: 3 records" in ok.output, ok.output
    log.db.execute("UPDATE audit_records SET record = replace(record, 'test.event', 'test.evil') WHERE seq = 2")
    tampered = CliRunner().invoke(app, ["audit", "verify"])
    assert tampered.exit_code == 1 and "TAMPERED" in tampered.output
