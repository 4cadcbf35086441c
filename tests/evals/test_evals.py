"""The eval runner and scorers: what counts as correct, and that every dataset is well-formed."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.runner import DATASETS_DIR, dataset_path, load_cases, run_dataset
from evals.scorers import Expectation, outcome, score


def test_all_expected_tools_and_facts_are_required():
    expect = Expectation(tools=["catalog_owner"], facts=["team-checkout", "marco.bianchi"])
    calls = [{"name": "catalog_owner", "args": {}}]
    assert score(expect, "Owned by `team-checkout`; on call: Marco.Bianchi", calls, False).correct
    missing_fact = score(expect, "Owned by team-checkout", calls, False)
    assert not missing_fact.correct and missing_fact.missing_facts == ["marco.bianchi"]
    missing_tool = score(expect, "team-checkout marco.bianchi", [], False)
    assert not missing_tool.correct and missing_tool.missing_tools == ["catalog_owner"]


def test_forbidden_facts_any_facts_and_interrupts():
    expect = Expectation(any_facts=["rollback", "roll back"], not_facts=["deleted"], interrupt=True)
    assert score(expect, "I can roll back checkout", [], True).correct
    assert not score(expect, "I can roll back checkout", [], False).correct
    assert score(expect, "pods deleted, then rollback", [], True).forbidden_facts == ["deleted"]
    assert not score(expect, "nothing relevant", [], True).facts_ok


def test_a_failed_case_is_an_honest_no_or_a_wrong_answer():
    expect = Expectation(facts=["team-payments"], not_facts=["team-checkout"])
    honest = "I couldn’t find this documented: nothing in the docs answers “who owns billing”."
    assert outcome(score(expect, honest, [], False), honest) == "honest"
    assert outcome(score(expect, "Owned by team-search.", [], False), "Owned by team-search.") == "wrong"
    # a claim about the data is not an abstention, and a forbidden fact makes any answer wrong
    claim = "Nothing in the catalog depends on billing."
    assert outcome(score(expect, claim, [], False), claim) == "wrong"
    hedged = "I can't answer that offline, but team-checkout might."
    assert outcome(score(expect, hedged, [], False), hedged) == "wrong"
    assert outcome(score(expect, "team-payments", [], False), "team-payments") == "correct"


def test_an_answer_holding_some_expected_facts_is_incomplete_unless_it_states_a_forbidden_one():
    expect = Expectation(facts=["artifactGC", "OnWorkflowDeletion", "S3"], not_facts=["8080"])
    partial = "Set `artifactGC: {strategy: OnWorkflowDeletion}` on the workflow."
    assert outcome(score(expect, partial, [], False), partial) == "incomplete"
    assert outcome(score(expect, partial + " port 8080", [], False), partial + " port 8080") == "wrong"
    assert outcome(score(expect, "Artifacts are kept.", [], False), "Artifacts are kept.") == "wrong"
    # an any-of fact counts as held when one of its choices is there
    either = Expectation(facts=["wait: true"], any_facts=["dependsOn", "depends on"])
    assert outcome(score(either, "add dependsOn", [], False), "add dependsOn") == "incomplete"
    # a missing tool call is not made up for by the facts
    tooled = Expectation(tools=["docs_search"], facts=["a", "b"])
    assert outcome(score(tooled, "a", [], False), "a") == "wrong"


def test_a_bad_case_names_the_file_and_the_case(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("- id: ok\n  question: hi\n- id: broken\n  expect: {tools: oops}\n")
    with pytest.raises(ValueError, match=r"bad\.yaml: case #2 \(broken\)"):
        load_cases(path)


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="no eval dataset 'nope'"):
        dataset_path("nope")


@pytest.mark.parametrize("path", sorted(DATASETS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_dataset_is_well_formed(path: Path):
    cases = load_cases(path)
    assert len(cases) >= 15
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids are unique"
    for case in cases:
        checks = case.expect.tools or case.expect.facts or case.expect.any_facts or case.expect.not_facts
        assert checks, f"{case.id} checks nothing"


def test_running_a_dataset_scores_each_case(tmp_path):
    from agent.runtime import Runtime
    from agent.service import AgentService
    from contract.settings import Settings

    dataset = tmp_path / "mini.yaml"
    dataset.write_text(
        "- id: owner\n  question: who owns checkout?\n  expect: {tools: [catalog_owner], facts: [team-checkout]}\n"
        "- id: wrong\n  question: who owns checkout?\n  expect: {tools: [catalog_owner], facts: [team-payments]}\n"
        "- id: followup\n  history: ['who owns checkout?']\n  question: and who is on call for it?\n"
        "  expect: {tools: [catalog_owner], facts: [marco.bianchi]}\n"
    )
    service = AgentService(Runtime(Settings(data_dir=tmp_path / "data", demo=True)))
    report = run_dataset(dataset, service)
    assert (report.cases, report.correct) == (3, 2)
    assert [r.id for r in report.results if not r.correct] == ["wrong"]
    assert report.results[1].score.missing_facts == ["team-payments"]
