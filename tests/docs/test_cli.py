"""``portal-agent index``: progress, a summary with skipped files, incremental on the second run."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from portal_agent.cli import app
from tests.support.docs import DATA


def test_index_command_json_summary_and_rebuild(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_AGENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PORTAL_AGENT_CATALOG", str(DATA / "catalog.yaml"))
    monkeypatch.setenv("PORTAL_AGENT_DOCS", str(tmp_path / "missing-folder"))
    monkeypatch.setenv("PORTAL_AGENT_CONFIG", str(tmp_path / "none.yaml"))
    runner = CliRunner()
    first = runner.invoke(app, ["index", "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout[first.stdout.index("{") :])
    assert summary["pages"] == 5 and summary["new"] == 5 and summary["chunks_total"] > 5
    assert any("missing-folder" in s and "not a folder" in s for s in summary["skipped"])

    second = runner.invoke(app, ["index"])
    assert second.exit_code == 0, second.output
    assert "unchanged pages" in second.stdout and "skipped" in second.stdout

    rebuilt = runner.invoke(app, ["index", "--rebuild", "--json"])
    again = json.loads(rebuilt.stdout[rebuilt.stdout.index("{") :])
    assert again["new"] == 5 and again["chunks_total"] == summary["chunks_total"]
