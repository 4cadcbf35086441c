"""Other MCP servers' tools inside portal-agent, with the approval gate intact.

Real servers nobody here wrote, from PyPI: ``mcp-server-time`` and ``mcp-server-git`` (over a
temporary repository), spoken to over stdio; and a local stand-in of Backstage's MCP actions,
whose catalog portal-agent can read as a catalog source.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from agent.runtime import Runtime
from agent.service import AgentService
from contract.settings import Settings
from tests.support.backstage_mcp import BackstageMcp
from tests.support.openai_server import ScriptedOpenAI
from tests.support.paths import REPO, SHARED_FIXTURES
from tools.mcp.servers import McpServersError, parse_servers

CATALOG = REPO / "tests" / "agent" / "data" / "catalog.yaml"
BACKSTAGE_EXAMPLES = SHARED_FIXTURES / "backstage" / "backstage__backstage" / "packages" / "catalog-model" / "examples"


@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "repo"
    path.mkdir()
    git = ["git", "-C", str(path), "-c", "user.email=t@example.test", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "README.md").write_text("hello\n")
    subprocess.run([*git, "add", "README.md"], check=True)
    subprocess.run([*git, "commit", "-qm", "first commit"], check=True)
    return path


def servers(repo) -> str:
    return json.dumps(
        {
            "time": {"command": sys.executable, "args": ["-m", "mcp_server_time", "--local-timezone", "UTC"]},
            "git": {"command": sys.executable, "args": ["-m", "mcp_server_git", "-r", str(repo)]},
        }
    )


def runtime(tmp_path, **settings) -> Runtime:
    base = {"data_dir": tmp_path / "data", "catalog": [str(CATALOG)], "admin_groups": ["team-admins"]}
    return Runtime(Settings(**{**base, **settings}))


def commits(repo) -> int:
    out = subprocess.run(["git", "-C", str(repo), "rev-list", "--count", "HEAD"], capture_output=True, text=True)
    return int(out.stdout.strip())


def test_servers_tools_become_a_family_read_only_only_when_marked(tmp_path, repo):
    tools = runtime(tmp_path, mcp_servers=servers(repo)).tools
    mine = {name: tool for name, tool in tools.items() if tool.family == "mcp"}
    assert {"time__get_current_time", "git__git_log", "git__git_commit"} <= set(mine)
    assert not mine["git__git_log"].mutating and mine["git__git_commit"].mutating
    schema = mine["git__git_log"].model_schema()["function"]["parameters"]
    assert "repo_path" in schema["properties"] and "repo_path" in schema["required"]  # the server's own schema
    assert "catalog_owner" in tools  # the built-in families are still there


def test_a_scripted_llm_reads_through_a_tool_and_a_write_stops_at_the_gate(tmp_path, repo):
    script = [
        {"tool_calls": [{"name": "git__git_log", "args": {"repo_path": str(repo), "max_count": 5}}]},
        {"content": "The last commit is 'first commit'."},
        {"tool_calls": [{"name": "git__git_commit", "args": {"repo_path": str(repo), "message": "pwned"}}]},
        {"content": "unused"},
    ]
    with ScriptedOpenAI(script) as llm:
        rt = runtime(
            tmp_path, mcp_servers=servers(repo), model="openai-compatible:scripted", model_base_url=llm.base_url
        )
        service = AgentService(rt)
        wendy = service.principal("user:default/wendy.owner")
        read = service.ask("what is the latest commit?", wendy)
        assert "first commit" in read.answer
        log_output = next(m for m in llm.requests[1]["messages"] if m["role"] == "tool")["content"]
        assert "first commit" in log_output  # the real server's output reached the model
        write = service.ask("commit everything with the message pwned", wendy)
    assert write.interrupt is not None, write.answer
    request = write.interrupt["request"]
    assert request["tool"] == "git__git_commit" and request["approvers"] == ["group:default/team-admins"]
    assert 'message = "pwned"' in request["preview"]["details"]
    assert commits(repo) == 1  # nothing ran


def test_offline_the_planner_lists_the_tools_and_says_calling_needs_an_llm(tmp_path, repo):
    service = AgentService(runtime(tmp_path, mcp_servers=servers(repo)))
    wendy = service.principal("user:default/wendy.owner")
    listed = service.ask("which tools does the git MCP server offer?", wendy).answer
    assert "`git__git_log` (read-only)" in listed and "`git__git_commit` (changes something" in listed
    asked = service.ask("call git_status on the git server", wendy).answer
    assert "needs a configured LLM" in asked and "repo_path" in asked
    assert commits(repo) == 1


def test_an_unreachable_server_costs_only_its_own_tools(tmp_path, caplog):
    broken = json.dumps({"gone": {"command": sys.executable, "args": ["-c", "import sys; sys.exit(3)"]}})
    tools = runtime(tmp_path, mcp_servers=broken).tools
    assert "catalog_owner" in tools and not any(t.family == "mcp" for t in tools.values())
    assert "MCP server 'gone'" in caplog.text


def test_bad_server_settings_name_the_server_and_the_field():
    with pytest.raises(McpServersError, match=r"server 'git'.*exactly one of url or command"):
        parse_servers('{"git": {"args": ["x"]}}')
    with pytest.raises(McpServersError, match="not name=url"):
        parse_servers("justaname")
    assert [s.name for s in parse_servers("a=http://x/mcp, b=http://y/mcp")] == ["a", "b"]


@pytest.mark.parametrize(
    "folder",
    [CATALOG, BACKSTAGE_EXAMPLES],
    ids=["test-catalog", "backstage-examples"],
)
def test_a_backstage_read_through_its_mcp_actions_answers_like_the_file_source(tmp_path, folder):
    if not folder.exists():
        pytest.skip(f"{folder} is absent (real fixtures live outside the repository)")
    backstage = BackstageMcp(folder).start()
    try:
        spec = json.dumps({"backstage": {"url": backstage.url, "token": backstage.token}})
        over_mcp = AgentService(runtime(tmp_path / "mcp", catalog=["mcp:backstage"], mcp_servers=spec))
        from_files = AgentService(runtime(tmp_path / "files", catalog=[str(folder)]))
        refs = sorted(e.ref for e in over_mcp.runtime.catalog.all())
        assert refs and refs == sorted(e.ref for e in from_files.runtime.catalog.all())
        assert any(name == "catalog.query-catalog-entities" for name, _ in backstage.calls)
        for entity in [e for e in from_files.runtime.catalog.all() if e.kind_lower == "component"][:5]:
            question = f"who owns {entity.name}?"
            guest = from_files.principal()
            assert over_mcp.ask(question, guest).answer == from_files.ask(question, guest).answer
        # the stand-in's own tools are a family too: its mutating action goes through the gate
        tools = over_mcp.runtime.tools
        assert tools["backstage__scaffolder_execute-template"].mutating
        assert not tools["backstage__catalog_get-catalog-entity"].mutating
    finally:
        backstage.stop()


def test_a_wrong_backstage_token_is_a_clear_catalog_error(tmp_path):
    backstage = BackstageMcp(CATALOG).start()
    try:
        spec = json.dumps({"backstage": {"url": backstage.url, "token": "wrong"}})
        rt = runtime(tmp_path, catalog=["mcp:backstage"], mcp_servers=spec)
        errors = [str(e) for e in rt.catalog.errors]
        assert any("mcp:backstage" in e and "unreachable" in e for e in errors), errors
        assert "wrong" not in " ".join(errors)
    finally:
        backstage.stop()
