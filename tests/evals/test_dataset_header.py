"""Datasets with a header: the sources they need, the pinned "today", and the recorded scores."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from evals.runner import REPO_ROOT, load_dataset, missing_sources, run_dataset, service_for, source_settings

FOCUS = (
    "BilledCost,BillingCurrency,ChargePeriodStart,ProviderName,ServiceName,ServiceCategory\n"
    "12.50,USD,2026-10-03T00:00:00Z,AWS,Amazon Relational Database Service,Databases\n"
    "7.25,USD,2026-10-04T00:00:00Z,AWS,Amazon Relational Database Service,Databases\n"
    "3.00,USD,2026-11-02T00:00:00Z,AWS,Amazon Simple Storage Service,Storage\n"
)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_header_names_sources_relative_to_the_repo_root_and_the_recorded_scores(tmp_path):
    dataset = _write(
        tmp_path / "real.yaml",
        "settings:\n  focus: ../shared/fixtures/focus/focus_sample.csv\n  catalog: [demo/catalog]\n"
        "today: 2026-11-24\nmin_score: 0.85\nfirst_run: 34/40 (85.0 %)\n"
        "cases:\n- id: one\n  question: what did RDS cost?\n  expect: {tools: [cost_breakdown]}\n",
    )
    ds = load_dataset(dataset)
    assert (ds.min_score, ds.first_run, ds.today) == (0.85, "34/40 (85.0 %)", date(2026, 11, 24))
    assert [c.id for c in ds.cases] == ["one"]
    resolved = source_settings(ds)
    assert resolved["focus"] == [str((REPO_ROOT.parent / "shared/fixtures/focus/focus_sample.csv").resolve())]
    assert resolved["catalog"] == [str(REPO_ROOT / "demo" / "catalog")]


def test_the_plain_list_format_still_loads(tmp_path):
    ds = load_dataset(_write(tmp_path / "plain.yaml", "- id: a\n  question: hi\n  expect: {facts: [x]}\n"))
    assert (ds.settings, ds.min_score, [c.id for c in ds.cases]) == ({}, None, ["a"])


def test_a_bad_header_names_the_file_and_the_field(tmp_path):
    with pytest.raises(ValueError, match=r"typo\.yaml: .*min_scor"):
        load_dataset(_write(tmp_path / "typo.yaml", "min_scor: 0.9\ncases: []\n"))
    with pytest.raises(ValueError, match=r"unknown\.yaml: .*unknown setting\(s\) focus_files"):
        load_dataset(_write(tmp_path / "unknown.yaml", "settings: {focus_files: x}\ncases: []\n"))
    with pytest.raises(ValueError, match=r"range\.yaml: .*min_score"):
        load_dataset(_write(tmp_path / "range.yaml", "min_score: 90\ncases: []\n"))


def test_a_set_whose_source_is_absent_is_skipped_with_the_reason(tmp_path):
    dataset = _write(
        tmp_path / "absent.yaml",
        "settings: {focus: ../shared/no-such-export.csv}\nmin_score: 0.9\n"
        "cases:\n- id: a\n  question: what did RDS cost?\n  expect: {tools: [cost_breakdown]}\n",
    )
    assert missing_sources(load_dataset(dataset)) == ["../shared/no-such-export.csv"]
    report = run_dataset(dataset)
    assert report.skipped == "source(s) absent: ../shared/no-such-export.csv"
    assert (report.cases, report.results, report.below_threshold) == (1, [], False)


def test_a_set_runs_on_exactly_its_sources_with_today_pinned(tmp_path, monkeypatch):
    export = _write(tmp_path / "export.csv", FOCUS)
    monkeypatch.setenv("PORTAL_AGENT_CATALOG", str(REPO_ROOT / "demo" / "catalog"))  # must not leak in
    monkeypatch.delenv("PORTAL_AGENT_DEMO_TODAY")
    dataset = _write(
        tmp_path / "mine.yaml",
        f"settings: {{focus: '{export}'}}\ntoday: 2026-11-20\nmin_score: 1.0\n"
        "cases:\n"
        "- id: rds-last-month\n  question: what did RDS cost last month?\n"
        "  expect: {tools: [cost_breakdown], facts: ['19.75 USD', October 2026]}\n"
        "- id: no-catalog\n  question: who owns checkout?\n  expect: {not_facts: [team-checkout], facts: [catalog]}\n",
    )
    ds = load_dataset(dataset)
    service = service_for(ds, tmp_path / "data")
    settings = service.runtime.settings
    assert (settings.focus, settings.catalog, settings.uses_demo) == ([str(export)], [], False)
    report = run_dataset(dataset)
    assert report.correct == 2, [(r.id, r.answer[:200]) for r in report.results]
    assert not report.below_threshold


def test_the_default_service_pins_today_unless_configured(monkeypatch, tmp_path):
    from demo import DEMO_TODAY
    from evals.runner import default_service
    from tools.cost.engine import engine_for

    monkeypatch.delenv("PORTAL_AGENT_DEMO_TODAY")
    monkeypatch.setenv("PORTAL_AGENT_DEMO", "true")
    runtime = default_service(tmp_path / "a").runtime
    assert runtime.settings.demo_today == DEMO_TODAY and engine_for(runtime).today() == DEMO_TODAY
    monkeypatch.setenv("PORTAL_AGENT_DEMO_TODAY", "2026-12-02")
    assert default_service(tmp_path / "b").runtime.settings.demo_today == date(2026, 12, 2)
