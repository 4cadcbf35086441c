"""General causes of docs answers that missed the answer (issue 13, blind real-data evals).

Each test writes a small page or passage and checks one rule: a long code block is quoted around its
answering lines, a command after the sentence that describes it is quoted with it, introductions chain
to what they introduce, a short list is quoted whole, an introduction stays in the chunk of what it
introduces, a chunk whose one line holds the question's words ranks first, answers may quote a passage
beyond the first ``limit`` results, and a question after a preamble still goes to the docs.
"""

from __future__ import annotations

from pathlib import Path

from tools.docs.extract import CODE_LINES, Scorer, extract, focus_code

IDF = {"concurrent": 4.0, "reconcile": 3.0, "default": 1.0, "revoke": 3.0, "token": 2.0, "namespace": 2.5}


def _options_block(lines: int) -> str:
    flags = [f"      --flag-{i} string   Some unrelated option number {i}" for i in range(lines)]
    flags.insert(lines - 3, "      --concurrent int   The number of concurrent reconciles (default 1)")
    return "```\n" + "\n".join(flags) + "\n```"


def test_a_long_code_block_is_quoted_around_the_lines_that_answer():
    block = _options_block(CODE_LINES + 20)
    out = extract([("Controller › Flags", block)], "how many concurrent reconciles by default?", IDF)
    text = out[0][1]
    assert "--concurrent int   The number of concurrent reconciles (default 1)" in text
    assert "…" in text and text.startswith("```") and text.endswith("```")
    assert text.count("\n") < CODE_LINES  # not the whole block


def test_focus_code_keeps_short_blocks_and_blocks_without_the_words_as_they_are():
    scorer = Scorer("concurrent reconciles", [""], IDF)
    assert focus_code("```\nshort\n```", scorer, 0) is None
    assert focus_code(_options_block(CODE_LINES + 5).replace("concurrent", "x"), Scorer("zebra", [""], IDF), 0) is None


def test_a_long_sample_keeps_the_line_that_names_its_section_title():
    """The question names none of the key's words; the section's title does, and the sample shows it."""
    filler = [f"  - name: step-{i}\n    image: alpine" for i in range(20)]
    sample = "\n".join(
        [
            "```yaml",
            "spec:",
            "  onExit: exit-handler",
            *filler,
            "  - name: notify",
            "    args: [send slack notification]",
            "```",
        ]
    )
    question = "how do I send a slack notification whatever the outcome?"
    shown = focus_code(sample, Scorer(question, ["Guide › Exit handlers"], IDF), 0)
    assert shown is not None and "onExit: exit-handler" in shown and "send slack notification" in shown
    assert "onExit" not in focus_code(sample, Scorer(question, ["Guide › Overview"], IDF), 0)


def test_the_command_after_the_sentence_that_describes_it_is_quoted_with_it():
    passage = (
        "The key is stored in a secret named `sso`.\n\n"
        "You can revoke all tokens by deleting the key and restarting the server.\n\n"
        "```bash\nkubectl delete secret sso\n```\n\n"
        "All users will need to log in again."
    )
    text = extract([("Server › Token Revocation", passage)], "how do we revoke every token?", IDF)[0][1]
    assert "You can revoke all tokens" in text and "kubectl delete secret sso" in text


def test_a_chain_of_introductions_brings_the_block_it_introduces():
    passage = (
        "The minimum for the executor to function:\n\n"
        "For >= v3.4:\n\n"
        "```yaml\nrules:\n  - resources: [workflowtaskresults]\n    verbs: [create, patch]\n```"
    )
    text = extract([("RBAC", passage)], "what is the minimum for the executor?", {"minimum": 3.0, "executor": 3.0})[0][
        1
    ]
    assert "For >= v3.4:" in text and "verbs: [create, patch]" in text


def test_an_item_of_a_short_list_brings_the_whole_list():
    passage = (
        "Determine your installation option.\n\n"
        "* A **cluster install** watches workflows in all namespaces.\n"
        "* A **namespace install** only runs workflows in its own namespace: use `namespace-install.yaml`.\n"
        "* A **managed namespace install** runs workflows in another namespace."
    )
    text = extract([("Installation options", passage)], "which install watches all namespaces?", IDF)[0][1]
    assert "namespace-install.yaml" in text and "managed namespace install" in text


def test_an_introduction_stays_in_the_chunk_of_what_it_introduces():
    from tools.docs.chunking import split_section
    from tools.docs.models import Block

    filler = Block("paragraph", " ".join(["Workflows run in pods with a service account."] * 8))
    code = Block("code", "```yaml\nrules: []\n" + "# a comment line of the sample\n" * 6 + "```")
    blocks = [filler, Block("paragraph", "The minimum for the executor:"), Block("paragraph", "For v3.4:"), code]
    pieces = [text for text, _, _ in split_section(blocks, max_tokens=120, overlap_tokens=20)]
    assert len(pieces) == 2
    assert pieces[1].startswith("The minimum for the executor:\n\nFor v3.4:") and "rules: []" in pieces[1]
    assert "The minimum" not in pieces[0]


def test_the_fusion_ranks_candidates_by_their_best_line_too():
    from tools.docs.store import Hit, _by_best_line

    spread = "The controller reconciles resources.\nConcurrent work is limited elsewhere.\nThe default applies."
    hits = [
        Hit("spread", "Overview\n" + spread, {"header_chars": 9, "heading": "Overview"}, 0.0),
        Hit("flags", "Flags\n" + _options_block(40), {"header_chars": 6, "heading": "Controller flags"}, 0.0),
        Hit("none", "Other\nNothing of interest here.", {"header_chars": 6, "heading": "Other"}, 0.0),
        Hit("heading", "Why\nIt is one at a time.", {"header_chars": 4, "heading": "Concurrent reconciles"}, 0.0),
    ]
    idf = {"number": 1.0, "concurrent": 3.0, "reconcile": 2.0, "default": 1.0}
    # the line holding every word first; a heading's words count for its lines; no word, no rank
    assert _by_best_line(hits, "number of concurrent reconciles by default", idf) == ["flags", "heading", "spread"]


def test_answers_may_quote_a_passage_beyond_the_shown_results():
    from tools.docs.tools import quoted_results

    hits = [f"hit{i}" for i in range(8)]
    answer, shown = quoted_results([{"result": 2, "text": "b"}, {"result": 7, "text": "g"}], hits, 5)
    assert shown == ["hit0", "hit1", "hit2", "hit3", "hit4", "hit6"]
    assert answer == [{"result": 2, "text": "b"}, {"result": 6, "text": "g"}]


def test_a_question_after_a_preamble_goes_to_the_docs(tmp_path: Path):
    from agent.runtime import Runtime
    from contract.intents import PlanState
    from contract.principal import Principal
    from contract.settings import Settings

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# UI\n\nOpen the UI with `kubectl port-forward svc/server 2746:2746`.\n")
    runtime = Runtime(Settings(data_dir=tmp_path / "data", docs=[str(docs)]))  # every family; only docs has data
    for question in (
        "I installed it with the helm chart. How do I open the UI from my laptop?",
        "argo cron backfill – what's the max number of workflows it makes by default, and which flag changes it?",
        "We keep getting warning events about the provider. Can I silence them?",
        "each team wants its own bucket. What configmap name and annotation make one the default?",
    ):
        state = PlanState(
            utterance=question, principal=Principal.anonymous(), runtime=runtime, available_tools=set(runtime.tools)
        )
        route = runtime.router.route(state)
        assert route is not None and route.live and route.intent.family == "docs", question


def test_a_question_after_a_preamble_is_no_ask_for_docs_when_none_are_configured(tmp_path: Path):
    from agent.runtime import Runtime
    from contract.intents import PlanState
    from contract.principal import Principal
    from contract.settings import Settings

    runbooks = tmp_path / "runbooks"
    runbooks.mkdir()
    (runbooks / "disk.md").write_text("# NodeDiskFull\n\nGet onto the node with `kubectl debug node/$NODE`.\n")
    runtime = Runtime(Settings(data_dir=tmp_path / "data", runbooks=[str(runbooks)]))
    question = "mountpoint label is /var. how do i get onto the node?"
    state = PlanState(
        utterance=question, principal=Principal.anonymous(), runtime=runtime, available_tools=set(runtime.tools)
    )
    route = runtime.router.route(state)
    assert route is None or route.intent.family != "docs"


def test_a_table_over_the_budget_is_cut_between_rows_with_its_header_repeated():
    from tools.docs.chunking import split_block
    from tools.docs.models import Block

    rows = [f"| `--flag-{i}` | string | | Option number {i} of the controller. |" for i in range(40)]
    table = Block("table", "| Name | Type | Default | Description |\n| --- | --- | --- | --- |\n" + "\n".join(rows))
    parts = split_block(table, max_tokens=120)
    assert len(parts) > 2 and all(p.text.startswith("| Name | Type | Default | Description |\n| --- |") for p in parts)
    assert [line for p in parts for line in p.text.splitlines()[2:]] == rows  # every row once, in order
    code = Block("code", "```\n" + "\n".join(f"  --flag-{i} string  option {i}" for i in range(60)) + "\n```")
    assert split_block(code, max_tokens=120) == [code]  # code stays whole
    small = Block("table", "| a |\n| - |\n| 1 |")
    assert split_block(small, max_tokens=120) == [small]
