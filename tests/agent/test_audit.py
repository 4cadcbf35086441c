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


def test_secrets_in_any_shape_never_reach_the_audit_log(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append(
        "approval.executed",
        result={
            "log": "DB_PASSWORD=hunter2 postgres://app:s3cr3t@db/x",
            "env": [{"name": "API_TOKEN", "value": "t0k"}],
        },
        headers="Authorization: Basic YXBwOnBhc3N3b3Jk",
    )
    text = log.path.read_text()
    assert "hunter2" not in text and "s3cr3t" not in text and '"t0k"' not in text and "YXBwOnBhc3N3b3Jk" not in text
    assert log.verify().ok


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


# --- anchoring: MACs under a key kept apart, and a head checkpoint -------------------------------
def _lines(path):
    return path.read_text().splitlines()


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))


def _recompute(lines, *, keep_macs: bool = False):
    """What someone without the key can do: rebuild a valid hash chain over edited records."""
    from agent.audit import GENESIS, _digest

    prev, out = GENESIS, []
    for line in lines:
        record = json.loads(line)
        body = {k: v for k, v in record.items() if k not in ("prev", "hash", "mac")}
        digest = _digest(prev, body)
        rebuilt = {**body, "prev": prev, "hash": digest}
        if keep_macs and "mac" in record:
            rebuilt["mac"] = record["mac"]
        out.append(json.dumps(rebuilt))
        prev = digest
    return out


def _log_of(tmp_path, n=4):
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(n):
        log.append("e", i=i)
    return log


def test_an_intact_anchored_log_reports_its_head(tmp_path):
    log = _log_of(tmp_path)
    report = AuditLog(log.path).verify()
    last = json.loads(_lines(log.path)[-1])
    assert report.ok and report.anchored and report.records == 4
    assert report.head == f"4:{last['hash']}"


def test_truncating_the_tail_is_detected(tmp_path):
    log = _log_of(tmp_path)
    _write(log.path, _lines(log.path)[:-1])  # the last record removed: the chain alone stays valid
    report = AuditLog(log.path).verify()
    assert not report.ok and "truncated" in report.reason and "4 records" in report.reason


def test_emptying_or_deleting_the_log_is_detected(tmp_path):
    log = _log_of(tmp_path)
    log.path.write_text("")
    assert not AuditLog(log.path).verify().ok
    log.path.unlink()
    report = AuditLog(log.path).verify()
    assert not report.ok and "missing" in report.reason


def test_a_recomputed_chain_without_the_key_is_detected(tmp_path):
    log = _log_of(tmp_path)
    lines = _lines(log.path)
    record = json.loads(lines[1])
    record["i"] = 99  # the edit
    lines[1] = json.dumps(record)
    _write(log.path, _recompute(lines, keep_macs=True))  # the old MACs no longer match the new hashes
    report = AuditLog(log.path).verify()
    assert not report.ok and report.first_bad_line == 2 and "MAC mismatch" in report.reason
    _write(log.path, _recompute(lines))  # no MACs at all: the head still names the real last record
    report = AuditLog(log.path).verify()
    assert not report.ok and "rewritten" in report.reason


def test_a_recomputed_chain_with_macs_and_head_removed_is_detected(tmp_path):
    log = _log_of(tmp_path)
    lines = [json.dumps({k: v for k, v in json.loads(line).items() if k != "mac"}) for line in _lines(log.path)]
    _write(log.path, _recompute(lines[:2]))
    log.head_path.unlink()
    report = AuditLog(log.path).verify()
    assert not report.ok and "head checkpoint is missing" in report.reason


def test_a_forged_head_is_detected(tmp_path):
    log = _log_of(tmp_path)
    _write(log.path, _lines(log.path)[:2])
    head = json.loads(log.head_path.read_text())
    last = json.loads(_lines(log.path)[-1])
    log.head_path.write_text(json.dumps({**head, "records": 2, "hash": last["hash"]}))  # the MAC needs the key
    report = AuditLog(log.path).verify()
    assert not report.ok and "head checkpoint's MAC does not match" in report.reason


def test_a_replaced_key_is_detected(tmp_path):
    log = _log_of(tmp_path)
    log.key_path.write_text("00" * 32 + "\n")
    assert "MAC mismatch" in AuditLog(log.path).verify().reason
    log.key_path.unlink()
    assert "key is missing" in AuditLog(log.path).verify().reason


def test_a_head_one_record_behind_after_a_crash_is_accepted(tmp_path):
    log = _log_of(tmp_path, 3)
    head = log.head_path.read_text()
    log.append("e", i=3)
    log.head_path.write_text(head)  # killed after the record was written, before the head was
    report = AuditLog(log.path).verify()
    assert report.ok and report.records == 4
    log.append("e", i=4)  # the next append repairs the head
    assert AuditLog(log.path).verify().head.startswith("5:")


def test_a_log_from_before_anchoring_verifies_and_later_records_anchor_it(tmp_path):
    from agent.audit import GENESIS, _digest

    path = tmp_path / "audit.jsonl"
    prev, lines = GENESIS, []
    for i in range(2):  # written by the previous version: chain only
        body = {"seq": i + 1, "ts": "2026-01-01T00:00:00.000+00:00", "event": "e", "i": i}
        digest = _digest(prev, body)
        lines.append(json.dumps({**body, "prev": prev, "hash": digest}))
        prev = digest
    _write(path, lines)
    legacy = AuditLog(path).verify()
    assert legacy.ok and not legacy.anchored and "not anchored" in legacy.reason
    AuditLog(path).append("e", i=2)
    anchored = AuditLog(path).verify()
    assert anchored.ok and anchored.anchored and anchored.records == 3
    old = json.loads(_lines(path)[0])
    old["i"] = 99
    _write(path, _recompute([json.dumps(old), *_lines(path)[1:]], keep_macs=True))
    assert not AuditLog(path).verify().ok  # the legacy prefix is covered by the first MAC after it


def test_key_head_and_log_are_private(tmp_path):
    import stat

    log = _log_of(tmp_path, 1)
    for path in (log.path, log.key_path, log.head_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_the_cli_reports_truncation(tmp_path):
    from typer.testing import CliRunner

    from portal_agent.cli import app

    log = _log_of(tmp_path)
    ok = CliRunner().invoke(app, ["audit", "verify", str(log.path)])
    assert ok.exit_code == 0 and "4 records, chain intact; head 4:" in ok.output
    _write(log.path, _lines(log.path)[:-2])
    out = CliRunner().invoke(app, ["audit", "verify", str(log.path)])
    assert out.exit_code == 1 and "TAMPERED" in out.output and "truncated" in out.output
