"""Block Kit layout: mrkdwn conversion, tables as fields, Slack's size limits, approval cards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.slack import render
from tests.support.mock_slack import blocks_text


def test_markdown_becomes_mrkdwn():
    text = render.to_mrkdwn("# Owners\n**team-a** owns [checkout](https://x.test/c) & <b>\n- one\n```\nA<B\n```")
    assert text.splitlines()[0] == "*Owners*"
    assert "*team-a* owns <https://x.test/c|checkout> &amp; &lt;b&gt;" in text
    assert "• one" in text and "A&lt;B" in text


def test_small_tables_become_fields_and_large_ones_code():
    table = "| service | usd | trend |\n|---|---:|---|\n| a | 1 | up |\n| b | 2 | down |"
    small = render.markdown_blocks("Costs:\n" + table)
    fields = small[1]["fields"]
    assert [f["text"] for f in fields] == ["*a*\nusd: 1 · trend: up", "*b*\nusd: 2 · trend: down"]
    rows = "\n".join(f"| s{i} | {i} |" for i in range(30))
    large = render.markdown_blocks(f"| service | usd |\n|---|---|\n{rows}")
    assert all("fields" not in b for b in large) and large[0]["text"]["text"].startswith("```")
    assert "s29" in blocks_text(large)


def test_long_answers_respect_slack_limits():
    answer = "\n\n".join(f"Paragraph {i}: " + "word " * 300 for i in range(80))
    fallback, blocks = render.answer_message(
        answer, citations=[{"title": "Doc", "url": "https://d.test/1"}] * 3, refs=["component:default/a"]
    )
    assert len(blocks) <= render.MAX_BLOCKS and len(fallback) <= 3000
    assert all(len(b["text"]["text"]) <= render.SECTION_LIMIT for b in blocks if "text" in b)
    assert "shortened" in blocks_text(blocks[-1:])


def test_citations_and_refs_are_context_lines():
    _, blocks = render.answer_message(
        "ok",
        citations=[{"title": "Runbook", "url": "https://d.test/r"}, {"title": "Runbook", "url": "https://d.test/r"}],
        refs=["component:default/checkout"],
    )
    contexts = [blocks_text([b]) for b in blocks if b["type"] == "context"]
    assert contexts == [":books: Sources: <https://d.test/r|Runbook>", ":label: `component:default/checkout`"]


def _request(**kw):
    now = datetime.now(UTC)
    base = {
        "id": "apr_1",
        "tool": "scale",
        "action": "scale",
        "args": {"replicas": 3},
        "args_hash": "h" * 64,
        "target": "component:default/checkout",
        "requested_by": "user:default/jane",
        "risk": "high",
        "preview": {"summary": "would scale to 3", "details": "x" * 5000},
        "lifecycle": "production",
        "approvers": ["group:default/team-checkout"],
        "four_eyes": True,
        "created_at": now.isoformat(),
        "expires_at": (now + timedelta(minutes=30)).isoformat(),
    }
    return {**base, **kw}


def test_approval_card_and_decision():
    request = _request()
    _, blocks = render.approval_message(request, requested_by_slack="U1")
    text = blocks_text(blocks)
    assert "would scale to 3" in text and "(truncated)" in text and ":red_circle: high" in text
    value = next(b for b in blocks if b["type"] == "actions")["elements"][0]["value"]
    assert render.parse_button_value(value) == ("apr_1", "h" * 64)
    assert all(len(b["text"]["text"]) <= render.SECTION_LIMIT for b in blocks if "text" in b and b["type"] == "section")
    _, decided = render.decision_message(request, status="executed", who="<@U2>", result={"ok": True, "data": {"a": 1}})
    assert "actions" not in [b["type"] for b in decided]
    assert "Approved* by <@U2> and executed" in blocks_text(decided) and '"a": 1' in blocks_text(decided)


def test_secrets_in_arguments_and_previews_are_not_shown():
    request = _request(
        args={"name": "x", "api_token": "hunter2"},
        preview={"summary": "would set xoxb-1234567890-abcdefghij", "details": None},
    )
    _, blocks = render.approval_message(request)
    text = blocks_text(blocks)
    assert "hunter2" not in text and "xoxb-1234567890" not in text and "[redacted]" in text
    value = next(b for b in blocks if b["type"] == "actions")["elements"][0]["value"]
    assert value.endswith("h" * 64)  # the decision stays bound to the real arguments


def test_thread_ids_round_trip():
    tid = render.thread_id_for("T1", "C1", "1700.0001")
    assert tid == "slack:T1:C1:1700.0001" and render.parse_thread_id(tid) == ("T1", "C1", "1700.0001")
    assert render.parse_thread_id("9b1d-uuid") is None
