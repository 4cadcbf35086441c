"""The harness beyond the offline planner: any model, repeated runs, the tools' ceiling, one report."""

from __future__ import annotations

import json

import pytest

from evals.report import markdown, write_report
from evals.runner import run_dataset
from tests.support.openai_server import ScriptedOpenAI

MINI = """\
- id: owner
  question: who owns checkout?
  tags: [ownership]
  expect: {facts: [team-checkout]}
  oracle: [{name: catalog_owner, args: {ref: checkout}}]
- id: oncall-from-apis
  question: who is on call for checkout?
  tags: [oncall]
  expect: {facts: [marco.bianchi]}
  oracle: [{name: catalog_apis, args: {ref: checkout}}]
- id: no-oracle
  question: what does checkout depend on?
  expect: {facts: [cart]}
"""
UNANSWERABLE = """\
- id: not-in-the-catalog
  question: who won the 2018 world cup?
  tags: [unanswerable]
  expect: {any_facts: [not documented, "couldn't find"]}
  oracle: [{name: catalog_search, args: {query: world cup}}]
"""


@pytest.fixture(scope="module")
def demo_service(tmp_path_factory):
    from agent.runtime import Runtime
    from agent.service import AgentService
    from contract.settings import Settings
    from demo import DEMO_TODAY

    data = tmp_path_factory.mktemp("data")
    return AgentService(Runtime(Settings(data_dir=data, demo=True, demo_today=DEMO_TODAY)))


def test_the_oracle_scores_what_the_ideal_calls_return(tmp_path, demo_service):
    path = tmp_path / "mini.yaml"
    path.write_text(MINI + UNANSWERABLE)
    report = run_dataset(path, demo_service, oracle=True)
    oracle = {r.id: r.oracle for r in report.results}
    # the owner tool returns the owner; the APIs tool does not return the on-call person: a tool gap
    # an unanswerable case is not a ceiling question: "not covered" is the model's call, not a tool's output
    assert oracle == {"owner": True, "oncall-from-apis": False, "no-oracle": None, "not-in-the-catalog": None}
    assert report.results[0].family == "catalog"
    text = markdown([report])
    assert "| mini | 4 |" in text and "| 1/2 |" in text  # the ceiling next to the planner's score
    assert "no LLM" in text  # the offline planner sends no tokens to a model


def test_the_oracle_reads_tool_output_as_a_model_does():
    """Facts are looked for in the JSON's values, unescaped: a quoted query is found as written."""
    from evals.runner import readable

    output = json.dumps({"ok": True, "data": {"steps": [{"query": '{component="kube-apiserver"} |= "error"'}]}})
    text = readable(output + "\nplain line")
    assert '{component="kube-apiserver"} |= "error"' in text and 'component=\\"' not in text
    assert "data.steps.query:" in text and text.endswith("plain line")


def test_oracle_calls_may_live_beside_the_set(tmp_path):
    from evals.runner import load_dataset

    path = tmp_path / "mini.yaml"
    path.write_text(MINI)
    (tmp_path / "oracle").mkdir()
    (tmp_path / "oracle" / "mini.yaml").write_text(
        "no-oracle:\n- {name: catalog_dependencies, args: {ref: checkout}}\n"
    )
    cases = {c.id: c for c in load_dataset(path).cases}
    assert cases["no-oracle"].oracle[0].name == "catalog_dependencies"
    (tmp_path / "oracle" / "mini.yaml").write_text("typo:\n- {name: catalog_owner}\n")
    with pytest.raises(ValueError, match=r"oracle/mini\.yaml: no case 'typo' in mini\.yaml"):
        load_dataset(path)


def test_repeated_runs_give_pass_at_1_and_pass_hat_n(tmp_path, demo_service):
    path = tmp_path / "mini.yaml"
    path.write_text(MINI)
    report = run_dataset(path, demo_service, repeat=3)
    assert report.repeat == 3
    assert all(r.passes in (0, 3) for r in report.results)  # the offline planner is deterministic
    assert report.pass_at_1 == report.pass_hat_n == report.accuracy


def test_an_openai_compatible_model_is_scored_with_its_tokens(tmp_path, monkeypatch):
    """Through the real openai client against a local OpenAI-compatible server."""
    from agent.runtime import Runtime
    from agent.service import AgentService
    from contract.settings import Settings
    from demo import DEMO_TODAY

    script = [
        {"tool_calls": [{"name": "catalog_owner", "args": {"ref": "checkout"}}]},
        {"content": "checkout is owned by team-checkout."},
        {"tool_calls": [{"name": "catalog_owner", "args": {"ref": "checkout"}}]},
        {"content": "I don't know who is on call."},
        {"content": "It depends on cart."},
    ]
    with ScriptedOpenAI(script) as server:
        settings = Settings(
            data_dir=tmp_path / "data",
            demo=True,
            demo_today=DEMO_TODAY,
            model="openai-compatible:scripted",
            model_base_url=server.base_url,
        )
        service = AgentService(Runtime(settings))
        path = tmp_path / "mini.yaml"
        path.write_text(MINI)
        report = run_dataset(path, service)
    assert report.model == "openai-compatible:scripted"
    assert [r.correct for r in report.results] == [True, False, True]
    assert report.results[1].outcome == "honest"
    first = report.results[0]
    assert first.tokens_sent > 300  # system prompt, tool schemas and the question, twice
    assert 5 < first.tokens_received < 60
    md, js = write_report([report], tmp_path / "out" / "report.md")
    assert f"{sum(r.tokens_sent for r in report.results) / 3:.0f} /" in md.read_text()
    data = json.loads(js.read_text())
    assert data["sets"][0]["results"][0]["tool_calls"][0]["name"] == "catalog_owner"


def test_an_llm_judge_is_reported_apart_from_the_scores(tmp_path, demo_service):
    from evals.judge import judge_from_spec, parse_judgement

    verdicts = [
        {"content": '{"verdict": "correct", "reason": "names team-checkout"}'},
        {"content": 'Sure! {"verdict": "abstained", "reason": "no on-call named"}'},
        {"content": "I refuse to grade"},
    ]
    path = tmp_path / "mini.yaml"
    path.write_text(MINI)
    with ScriptedOpenAI(verdicts) as server:
        judge = judge_from_spec("openai-compatible:judge", server.base_url, None)
        report = run_dataset(path, demo_service, judge=judge)
        sent = server.requests[0]["messages"][1]["content"]
    assert [r.judge for r in report.results] == ["correct", "abstained", "unjudged"]
    assert "who owns checkout?" in sent and "team-checkout" in sent
    text = markdown([report])
    assert "## LLM judge" in text and "| mini | 2 | 1 | 1 | 0 |" in text
    assert [r.correct for r in report.results] == [True, True, True]  # the scores are the scorers' alone
    assert parse_judgement('{"verdict": "maybe"}').verdict == "unjudged"
