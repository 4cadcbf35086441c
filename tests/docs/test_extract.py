"""Extractive answers: the units that answer are picked from the passages, quoted verbatim, under a cap."""

from __future__ import annotations

from contract.tokens import count_tokens
from tools.docs.extract import ANSWER_TOKENS, extract, identifiers, split_units

IDF = {"reindex": 3.0, "batch": 2.5, "size": 1.0, "memory": 2.0, "oom": 3.5, "limit": 1.5, "timeout": 2.0}

PASSAGE = """The indexer reads the catalog in batches. Each batch is sent to OpenSearch, e.g. every 5 s by default.

If the job runs out of memory, set `REINDEX_BATCH_SIZE=1000` or raise the memory limit to **2Gi**.

To apply it, run:

```sh
kubectl -n search set env deploy/search-indexer REINDEX_BATCH_SIZE=1000
kubectl -n search rollout status deploy/search-indexer
```

| setting | default | meaning |
| --- | --- | --- |
| `REINDEX_BATCH_SIZE` | 5000 | documents per bulk request |
| `REINDEX_TIMEOUT` | 30s | per bulk request |

- one item
  continued on a second line
  - nested item
- two items"""


def test_units_keep_blocks_whole_and_short_paragraphs_together():
    units = split_units(PASSAGE, 0)
    assert [u.kind for u in units] == ["sentence", "sentence", "sentence", "code", "row", "row", "item", "item"]
    assert units[0].text.endswith("e.g. every 5 s by default.")  # a short paragraph is one unit
    assert units[1].text == (
        "If the job runs out of memory, set `REINDEX_BATCH_SIZE=1000` or raise the memory limit to **2Gi**."
    )
    assert units[3].text.startswith("```sh") and units[3].text.endswith("```") and units[3].text.count("\n") == 3
    assert units[4].header.startswith("| setting | default | meaning |")
    assert units[6].text == "- one item\n  continued on a second line\n  - nested item"


def test_long_paragraphs_are_cut_into_sentences_but_not_at_abbreviations_or_code():
    sentence = "The indexer reads the catalog in batches, e.g. every 5 s, and calls `client.flush(). Then` once. "
    units = split_units(sentence * 8, 0)
    assert len(units) == 8 and all(u.text == sentence.strip() for u in units)


def test_identifiers_are_the_exact_names_a_question_uses():
    assert identifiers("what does `spec.ttl` do with --dry-run and REINDEX_BATCH_SIZE in maxRetries?") == [
        "spec.ttl",
        "--dry-run",
        "REINDEX_BATCH_SIZE",
        "maxRetries",
    ]


def test_the_sentence_naming_the_identifier_and_its_table_row_are_quoted():
    out = extract([("Search indexer › Memory", PASSAGE)], "what is the default REINDEX_BATCH_SIZE?", IDF)
    assert len(out) == 1 and out[0][0] == 0
    text = out[0][1]
    assert "| `REINDEX_BATCH_SIZE` | 5000 | documents per bulk request |" in text
    assert "| setting | default | meaning |" in text  # the row keeps its header
    assert "REINDEX_TIMEOUT" not in text  # the other row does not answer


def test_an_introduced_code_block_is_quoted_whole_with_its_introduction():
    out = extract([("Search indexer › Memory", PASSAGE)], "how do I apply the batch size to the indexer?", IDF)
    text = out[0][1]
    assert "To apply it, run:\n\n```sh\nkubectl -n search set env deploy/search-indexer REINDEX_BATCH_SIZE=1000" in text
    assert "kubectl -n search rollout status deploy/search-indexer\n```" in text


def test_a_procedure_is_quoted_whole_and_passages_stay_apart():
    steps = "Before you start, get access.\n\n1. Generate a key with `x keys new`.\n2. Upload it.\n3. Activate it."
    out = extract(
        [("Sprockets › Overview", "Sprockets are made of steel."), ("Rotate the widget key › Steps", steps)],
        "how do I rotate the widget key?",
        {"rotate": 2.0, "widget": 1.0, "key": 1.5},
    )
    assert [i for i, _ in out] == [1]  # the overview shares no word with the question: not quoted
    quoted = dict(out)[1]
    assert "1. Generate a key with `x keys new`.\n2. Upload it.\n3. Activate it." in quoted


def test_the_answer_stays_under_the_token_cap():
    long = " ".join(f"The memory limit rule number {i} matters for the reindex." for i in range(80))
    out = extract([("Limits", long)], "what is the memory limit for the reindex?", IDF)
    assert sum(count_tokens(text) for _, text in out) <= ANSWER_TOKENS


def test_no_common_word_still_quotes_the_opening_of_the_best_passage():
    out = extract([("Intro", "Alpha beta gamma. Delta epsilon.")], "zebra?", {})
    assert out == [(0, "Alpha beta gamma. Delta epsilon.")]


def test_an_indented_code_block_is_quoted_as_code_not_joined_into_prose():
    """Older mkdocs pages show samples as four-space-indented blocks after "Example:"."""
    from tools.docs.extract import split_units

    passage = "Set `archive:` to `true`.\n\nExample:\n\n    persistence:\n      archive: true\n"
    code = [u.text for u in split_units(passage, 0) if u.kind == "code"]
    assert code == ["```\npersistence:\n  archive: true\n```"]


def test_a_quoted_table_row_brings_the_rows_matching_about_as_well():
    """Once six units are quoted no more are picked on their own: "successful and failed" needs both rows."""
    table = """| Option | Default | Description |
| --- | --- | --- |
| `successfulJobsHistoryLimit` | `3` | Number of successful workflows kept by default |
| `failedJobsHistoryLimit` | `1` | Number of failed workflows kept |
| `timezone` | machine time | Timezone to run the schedule in |"""
    notes = "\n\n".join(f"Successful workflows are kept in store {i}." for i in range(6))
    idf = {"many": 0.5, "successful": 3.0, "fail": 1.5, "workflow": 1.0, "kept": 2.0, "default": 1.0}
    question = "how many successful and failed workflows are kept by default?"
    text = extract([("Options", f"{table}\n\n{notes}")], question, idf, budget=2000)[0][1]
    assert "successfulJobsHistoryLimit" in text and "failedJobsHistoryLimit" in text and "timezone" not in text


def test_a_section_titled_as_the_question_is_quoted_though_it_shares_no_word_with_it():
    """FAQ pages: the heading is the question, the text under it answers in other words."""
    faq = ("FAQ › cannot patch resource pods in API group error", "Your RBAC is probably not configured.")
    other = ("Pods", "The wait container says it cannot patch the resource of pods in an API group: what gives.")
    idf = {"cannot": 3.0, "patch": 3.5, "resource": 2.0, "pods": 2.0, "api": 1.0, "group": 3.0, "wait": 3.0}
    out = extract([faq, other], 'wait container says: cannot patch resource "pods" in API group. what gives?', idf)
    assert out[0] == (0, "Your RBAC is probably not configured.")


def test_each_part_of_a_compound_question_gets_its_answer():
    """ "… ? Where's the cache kept?": the second part holds few of the whole question's words, and six
    units about the first part would otherwise fill the answer before its one sentence is reached."""
    first = "\n\n".join(f"Cache step results with memoize, variant {i}." for i in range(8))
    second = "The cache is kept in a ConfigMap."
    idf = {"cache": 2.0, "step": 2.0, "result": 2.0, "kept": 3.0, "memoize": 1.0, "variant": 1.0}
    question = "Is there a way to cache step results? Where is the cache kept?"
    out = dict(extract([("Memoization", first), ("Memoization › Cache", second)], question, idf))
    assert out[1] == second
    assert "variant" in out[0]


def test_a_later_part_is_not_answered_by_the_unit_that_answers_an_earlier_one():
    """ "… cache step results …? Where's the cache kept?": the sentence that leads for the first part names the
    cache too, and would lead for the second; the second part gets the next unit of that page that answers it
    ("stored" for "kept"), though for the whole question it scores under the floor and would not be quoted."""
    intro = "Memoization stores the results of a step in a cache with a key, so cached steps are skipped."
    method = "Currently, the cached data is stored in config-maps."
    idf = {"cache": 2.0, "step": 2.0, "result": 2.0, "kept": 3.0, "skip": 2.5, "store": 1.0, "config": 1.0}
    question = "Is there a way to cache step results so steps are skipped? Where's the cache kept?"
    passages = [("Memoization › Introduction", intro), ("Memoization › Cache Method", method)]
    out = dict(extract(passages, question, idf, budget=40, pages=["memoization", "memoization"]))
    assert out == {0: intro, 1: method}
    alone = dict(extract(passages, "Is there a way to cache step results so steps are skipped?", idf, budget=40))
    assert alone == {0: intro}  # asked alone, the first question is not answered by the cache method
    # another page's cache is another cache: the second part keeps the answer it shares with the first
    elsewhere = dict(extract(passages, question, idf, budget=40, pages=["memoization", "registry"]))
    assert elsewhere == {0: intro}


STEPS_WITH_COMMANDS = """1. Create a `values.yaml` file:

```yaml
image:
  tag: "main"
```

1. Install the CRDs

```shell
make crds.install
```

1. Install the chart with the values file:

```
helm install external-secrets external-secrets/external-secrets -f values.yaml
```"""


def test_steps_each_followed_by_its_command_are_one_procedure():
    from tools.docs.extract import Scorer, procedures_of

    units = split_units(STEPS_WITH_COMMANDS, 0)
    ((_, steps),) = procedures_of(units, Scorer("install the chart", [""], {}))
    assert [u.kind for u in steps] == ["item", "code", "item", "code", "item", "code"]


def test_a_how_to_after_what_the_asker_wants_quotes_the_whole_procedure_with_its_commands():
    release = "\n\n".join(f"Release step {i}: tag the main image and publish the chart to helm." for i in range(8))
    idf = {"main": 1.0, "image": 2.0, "helm": 2.0, "chart": 1.5, "install": 1.5, "run": 1.0, "latest": 2.5}
    question = "I want to try a fix from main. How do I install the latest image with helm?"
    out = dict(extract([("Release", release), ("Using the latest image › Helm", STEPS_WITH_COMMANDS)], question, idf))
    assert 'tag: "main"' in out[1] and "make crds.install" in out[1] and "1. Install the CRDs" in out[1]


def test_the_steps_between_two_quoted_steps_of_a_procedure_are_quoted_too():
    """Steps 1 and 3 quoted for their words, step 2 ("Install the CRDs") left out, would be followed
    as the whole procedure: the step between them is quoted with its command."""
    idf = {"image": 2.0, "tag": 2.0, "helm": 2.0, "chart": 1.5, "main": 1.0, "values": 1.0}
    question = "which image tag and helm chart values run main?"
    text = dict(extract([("Using the latest image › Helm", STEPS_WITH_COMMANDS)], question, idf))[0]
    assert text.index('tag: "main"') < text.index("make crds.install") < text.index("helm install")
