"""Which tool families have data to answer from, as the runtime, ``portal-agent config`` and the web
app's ``/readyz`` report it."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from agent.runtime import Runtime
from contract.settings import Settings

WIDGET_CATALOG = Path(__file__).resolve().parent / "data" / "catalog.yaml"  # no TechDocs annotations


def test_only_families_with_a_source_are_live(tmp_path):
    status = Runtime(Settings(data_dir=tmp_path, catalog=[str(WIDGET_CATALOG)])).family_status()
    assert {name for name, s in status.items() if s["live"]} == {"catalog", "approvals"}
    assert status["docs"]["configure"].startswith("no docs are configured — set PORTAL_AGENT_DOCS")
    assert "PORTAL_AGENT_FOCUS" in status["cost"]["configure"]
    assert "PORTAL_AGENT_KUBECONFIG" in status["kubernetes"]["configure"]
    assert "PORTAL_AGENT_TEMPLATES" in status["scaffolder"]["configure"]
    assert "PORTAL_AGENT_RUNBOOKS" in status["runbooks"]["configure"]


def test_the_demo_has_every_family_live(tmp_path):
    """Every family with a source the demo organisation provides; MCP servers are other programs, so
    the demo configures none and says which setting would."""
    status = Runtime(Settings(data_dir=tmp_path, demo=True)).family_status()
    external = status.pop("mcp")
    assert all(s["live"] for s in status.values()), status
    assert external["live"] is False and "PORTAL_AGENT_MCP_SERVERS" in external["configure"]


def test_config_command_lists_the_families(tmp_path, monkeypatch):
    from portal_agent.cli import app

    monkeypatch.setenv("PORTAL_AGENT_CATALOG", str(WIDGET_CATALOG))
    monkeypatch.setenv("PORTAL_AGENT_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # no portal-agent.yaml from the working directory
    result = CliRunner().invoke(app, ["config", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    families = shown["families"]
    assert shown["docs_keyword_index"] == "memory"  # no Chroma server and PostgreSQL: this process's own
    assert families["catalog"] == {"live": True}
    assert families["docs"]["live"] is False and "PORTAL_AGENT_DOCS" in families["docs"]["configure"]
    table = CliRunner().invoke(app, ["config"])
    assert "tool families" in table.output and "off: no docs are configured" in table.output


async def test_readyz_says_which_families_are_live(tmp_path):
    from agent.service import AgentService
    from connectors.web.app import create_app

    service = AgentService(Runtime(Settings(data_dir=tmp_path, catalog=[str(WIDGET_CATALOG)])))
    app = create_app(service, background_indexing=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            deadline = time.monotonic() + 120  # start-up loads the embedding model: slow on a busy CI machine
            while (ready := await client.get("/readyz")).status_code != 200 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
    assert ready.status_code == 200, ready.text
    families = ready.json()["families"]
    assert families["catalog"] is True and families["docs"] is False and families["cost"] is False
    assert ready.json()["docs_index"]["keyword_index"] == "memory"


def test_the_keyword_index_is_shared_only_with_a_chroma_server_and_postgresql(tmp_path, monkeypatch):
    from portal_agent.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTAL_AGENT_DATA_DIR", str(tmp_path))
    cases = [
        ({"PORTAL_AGENT_CHROMA_URL": "http://chroma:8000"}, "memory"),
        ({"PORTAL_AGENT_DATABASE_URL": "postgresql://u:pw@db/portal"}, "memory"),
        ({"PORTAL_AGENT_CHROMA_URL": "http://chroma:8000", "PORTAL_AGENT_DATABASE_URL": "sqlite:///x.db"}, "memory"),
        (
            {
                "PORTAL_AGENT_CHROMA_URL": "http://chroma:8000",
                "PORTAL_AGENT_DATABASE_URL": "postgresql://u:pw@db/portal",
            },
            "postgresql",
        ),
    ]
    for env, where in cases:
        for name in ("PORTAL_AGENT_CHROMA_URL", "PORTAL_AGENT_DATABASE_URL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(app, ["config", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["docs_keyword_index"] == where, env
        assert "pw@" not in result.output
