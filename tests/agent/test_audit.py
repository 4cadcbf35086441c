from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor

from agent.audit import AuditLog


def _append_many(path: str, n: int) -> None:
    log = AuditLog(path)
    for i in range(n):
        log.append("test.event", i=i)


def test_chain_verifies_and_secrets_are_redacted(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append("approval.requested", args={"token": "xoxb-1234567890-abc", "name": "x"}, note="Bearer abcdefghijklmnop")
    log.append("approval.approved", approver="user:default/a")
    assert log.verify().ok and log.verify().records == 2
    text = (tmp_path / "audit.jsonl").read_text()
    assert "xoxb-" not in text and "abcdefghijklmnop" not in text


def test_an_edited_record_is_detected(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(3):
        log.append("e", i=i)
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    record = json.loads(lines[1])
    record["i"] = 99
    lines[1] = json.dumps(record)
    (tmp_path / "audit.jsonl").write_text("\n".join(lines) + "\n")
    report = log.verify()
    assert not report.ok and report.first_bad_line == 2 and "altered" in report.reason


def test_a_deleted_record_is_detected(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(3):
        log.append("e", i=i)
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    (tmp_path / "audit.jsonl").write_text("\n".join([lines[0], lines[2]]) + "\n")
    report = log.verify()
    assert not report.ok and report.first_bad_line == 2 and "chain broken" in report.reason


def test_concurrent_writers_keep_one_chain(tmp_path):
    path = str(tmp_path / "audit.jsonl")
    with ProcessPoolExecutor(max_workers=3) as pool:
        list(pool.map(_append_many, [path] * 3, [40] * 3))
    log = AuditLog(path)
    report = log.verify()
    assert report.ok and report.records == 120
    assert [r["seq"] for r in log.records()] == list(range(1, 121))
