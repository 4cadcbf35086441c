"""The tools and intents: citations with anchors, "not documented" with the owner, whole-page reads."""

from __future__ import annotations

import re

from agent.service import AgentService
from tests.support.docs import ctx
from tools.docs.markdown import slugify


def _tool(runtime, name):
    return runtime.tools[name]


def test_search_docs_cites_title_and_anchor(indexed):
    result = _tool(indexed, "search_docs").run({"query": "how do I rotate the signing key?"}, ctx(indexed))
    assert result.ok and result.data["relevant"]
    top = result.data["results"][0]
    assert top["url"] == "/docs/default/component/billing-api/how-to/rotate-key/#steps"
    assert top["title"] == "Billing API › Rotate the signing key"
    assert top["entity"] == "component:default/billing-api"
    assert "billing-admin keys activate" in top["snippet"]
    assert result.citations[0].url == top["url"]
    for item in result.data["results"]:  # every anchor is the slug of the heading it cites
        anchor = item["url"].split("#", 1)[1]
        assert re.sub(r"_\d+$", "", anchor) == slugify(item["heading"].split(" › ")[-1])
    assert result.query["query"] == "how do I rotate the signing key?"


def test_duplicate_headings_get_distinct_anchors(indexed):
    result = _tool(indexed, "search_docs").run({"query": "sections with the same title", "limit": 10}, ctx(indexed))
    urls = {i["url"] for i in result.data["results"] if i["heading"].endswith("Duplicate heading")}
    assert {u.split("#")[1] for u in urls} == {"duplicate-heading", "duplicate-heading_1"}


def test_not_documented_suggests_the_owner(indexed):
    result = _tool(indexed, "search_docs").run(
        {"query": "what is the on-call compensation policy for invoice-worker?"}, ctx(indexed)
    )
    assert result.ok and not result.data["relevant"] and result.data["results"] == []
    ask = result.data["ask"]
    assert ask["entity"] == "component:default/invoice-worker" and ask["owner"] == "group:default/team-alpha"
    assert ask["oncall"] == ["user:default/ada.lovelace"]
    assert "not documented" in result.note


def test_near_miss_quotes_the_closest_passages_marked_unsure(indexed):
    """Just under the gate the closest passages are quoted, never as a sure answer; far under it, none."""
    tool = _tool(indexed, "search_docs")
    near = tool.run({"query": "is there a weight limit for parcels?"}, ctx(indexed))
    assert near.ok and not near.data["relevant"] and near.data["tentative"]
    assert near.data["results"] == [] and len(near.data["closest_passages"]) <= 3
    best = near.data["closest_passages"][0]
    assert best["heading"] == "Carriers › Supported carriers" and "31.5 kg" in best["text"]
    far = tool.run({"query": "what is the on-call compensation policy for invoice-worker?"}, ctx(indexed))
    assert "closest_passages" not in far.data and "tentative" not in far.data
    service = AgentService(indexed)
    turn = service.ask("is there a weight limit for parcels?", service.principal("user:default/guest", via="test"))
    assert "couldn't find this documented" in turn.answer and "may not answer it" in turn.answer
    assert "31.5 kg" in turn.answer and "#supported-carriers" in turn.answer


def test_filters_resolve_names_and_reject_unknown(indexed):
    tool = _tool(indexed, "search_docs")
    ok = tool.run({"query": "label retries", "owner": "team-beta"}, ctx(indexed))
    assert ok.ok and {i["entity"] for i in ok.data["results"]} == {"component:default/shipping-svc"}
    bad = tool.run({"query": "label retries", "entity": "shiping-svc"}, ctx(indexed))
    assert not bad.ok and "shiping-svc" in bad.error and "shipping-svc" in bad.error


def test_read_doc_page_by_cited_link_and_by_title(indexed):
    tool = _tool(indexed, "read_doc_page")
    whole = tool.run({"page": "/docs/default/component/shipping-svc/carriers/"}, ctx(indexed))
    assert whole.ok and whole.data["title"] == "Shipping Service › Carriers"
    assert [s["heading"] for s in whole.data["sections"]] == [
        "Carriers › Supported carriers",
        "Carriers › Label retries",
    ]
    one = tool.run({"page": "/docs/default/component/shipping-svc/carriers/#label-retries"}, ctx(indexed))
    assert [s["anchor"] for s in one.data["sections"]] == ["label-retries"]
    assert "three times" in one.data["sections"][0]["text"]
    by_title = tool.run({"page": "Rotate the signing key"}, ctx(indexed))
    assert by_title.ok and by_title.data["url"] == "/docs/default/component/billing-api/how-to/rotate-key/"
    missing = tool.run({"page": "Quarterly planning"}, ctx(indexed))
    assert not missing.ok and "search_docs" in missing.error


def test_how_do_i_answer_quotes_and_cites(indexed):
    service = AgentService(indexed)
    principal = service.principal("user:default/guest", via="test")
    turn = service.ask("how do I rotate the invoice signing key?", principal)
    assert [c["name"] for c in turn.tool_calls] == ["search_docs"]
    assert "> 1. Generate a new key pair" in turn.answer  # a quoted passage…
    assert "(/docs/default/component/billing-api/how-to/rotate-key/#steps)" in turn.answer  # …and its citation
    assert "component:default/billing-api" in turn.refs


def test_where_is_documented_and_page_says(indexed):
    service = AgentService(indexed)
    principal = service.principal("user:default/guest", via="test")
    where = service.ask("where are the billing error codes documented?", principal)
    assert "It's documented here:" in where.answer and "/billing-api/errors/" in where.answer
    says = service.ask("what does the carriers page say about label retries?", principal)
    assert [c["args"].get("page") for c in says.tool_calls] == ["carriers"]
    assert "three times with a 10 second pause" in says.answer and "#label-retries" in says.answer


def test_not_documented_answer_names_who_to_ask(indexed):
    service = AgentService(indexed)
    principal = service.principal("user:default/guest", via="test")
    turn = service.ask("where is the invoice-worker disaster recovery plan documented?", principal)
    assert "couldn't find this documented" in turn.answer
    assert "group:default/team-alpha" in turn.answer and "user:default/ada.lovelace" in turn.answer


def test_a_question_routed_by_meaning_alone_is_answered_as_a_question_not_where(tmp_path):
    """With only docs configured, "why is …?" (a runbooks pattern) falls back to the docs intent whose
    examples read closest, "where is … documented"; the answer still states what the docs say."""
    from agent.runtime import Runtime
    from contract.settings import Settings

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "memoization.md").write_text(
        "# Step memoization\n\nMemoization skips a step whose inputs were seen before. "
        "The results are kept in a ConfigMap named by `memoize.cache.configMap.name`.\n"
    )
    service = AgentService(Runtime(Settings(data_dir=tmp_path / "data", docs=[str(folder)])))
    guest = service.principal("user:default/guest", via="test")
    why = service.ask("Why is the memoization cache stored in a ConfigMap?", guest)
    assert why.answer.startswith("Here is what the docs say") and "memoize.cache.configMap.name" in why.answer
    where = service.ask("where is memoization documented?", guest)
    assert where.answer.startswith("It's documented here:")


def test_a_name_the_docs_never_mention_is_said_so_above_the_related_passages(indexed):
    """ "How do I rotate the checkout-service signing key?": the docs answer the rotation, but nothing
    in them is checkout-service's; the answer says so instead of passing the passages off as its answer."""
    service = AgentService(indexed)
    principal = service.principal("user:default/guest", via="test")
    turn = service.ask("how do I rotate the checkout-service signing key?", principal)
    assert turn.answer.startswith("`checkout-service` is not mentioned anywhere in the docs;")
    assert "> 1. Generate a new key pair" in turn.answer  # what the docs say about the rest of it stays
    named = service.ask("how do I rotate the billing-api signing key?", principal)  # a name the docs hold
    assert "not mentioned" not in named.answer and "> 1. Generate a new key pair" in named.answer
    compound = service.ask("how do I rotate the invoice signing-key?", principal)  # words the docs use, spelt apart
    assert "not mentioned" not in compound.answer and "> 1. Generate a new key pair" in compound.answer
