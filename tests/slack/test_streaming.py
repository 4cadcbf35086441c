"""Slack's native streaming and feedback buttons, through the Bolt app against the local Web API.

``chat.startStream`` (with the recipient fields channels require), ``appendStream`` for text and
task chunks, ``stopStream`` with sources and feedback buttons; the ``chat.update`` fallback when
the workspace refuses to stream; a thumbs-down stored with its turn for the eval backlog.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode

from langchain_core.messages import AIMessage

from agent.feedback import draft_cases, feedback_store
from connectors.slack.render import FEEDBACK_ACTION
from tests.support.agent import call
from tests.support.slack import CHANNEL, TEAM, action_body, dispatch, event_body, mention, signed_headers

SECRET = "xoxb-1234567890-abcdefghijklmn"


def streamed_text(api) -> str:
    return "".join(p.get("markdown_text", "") for p in api.of("chat.appendStream"))


async def ask(app, api, text, **kw):
    event = mention(text, **kw)
    body = event_body(event)
    assert (await dispatch(app, body, signed_headers(body))).status == 200
    await api.wait_for("chat.stopStream")
    await api.settle()
    return event


async def test_an_answer_streams_natively_with_tool_tasks_and_feedback(make_app, slack_api):
    script = [call("widget_status", {"name": "widget-api"}), AIMessage(content="widget-api is healthy and serving.")]
    app, _ = make_app(script, streaming=True, slack_native_streaming=True)
    event = await ask(app, slack_api, "is widget-api ok?")
    started = slack_api.of("chat.startStream")[0]
    assert started["channel"] == CHANNEL and started["thread_ts"] == event["ts"]
    assert started["recipient_user_id"] == event["user"] and started["recipient_team_id"] == TEAM
    assert streamed_text(slack_api) == "widget-api is healthy and serving."
    tasks = [c for p in slack_api.of("chat.appendStream") for c in p.get("chunks") or []]
    assert [t["status"] for t in tasks if t["title"].endswith("widget_status")] == ["in_progress", "complete"]
    stopped = slack_api.of("chat.stopStream")[0]
    feedback = next(b for b in stopped["blocks"] if b["type"] == "context_actions")
    assert feedback["elements"][0]["type"] == "feedback_buttons"
    assert feedback["elements"][0]["negative_button"]["value"] == "bad:1"
    assert "chat.update" not in slack_api.methods()  # no hand-made progress on this path


async def test_a_secret_is_redacted_even_when_it_would_straddle_two_appends(make_app, slack_api, monkeypatch):
    import connectors.slack.streaming as streaming

    monkeypatch.setattr(streaming, "FLUSH_CHARS", 4)  # flush all the time
    app, _ = make_app(
        [AIMessage(content=f"the token is {SECRET} so rotate it")], streaming=True, slack_native_streaming=True
    )
    await ask(app, slack_api, "what is the token?")
    text = streamed_text(slack_api)
    assert SECRET not in text and "xoxb-1234" not in text and "rotate it" in text
    assert len(slack_api.of("chat.appendStream")) > 3


async def test_a_workspace_that_refuses_to_stream_gets_chat_update(make_app, slack_api):
    slack_api.fail["chat.startStream"] = "unknown_method"
    app, _ = make_app([AIMessage(content="team-widgets owns widget-api.")], slack_native_streaming=True)
    event = mention("who owns widget-api?")
    body = event_body(event)
    await dispatch(app, body, signed_headers(body))
    placeholder = (await slack_api.wait_for("chat.postMessage"))[0]
    final = await slack_api.wait_for(
        "chat.update",
        where=lambda p: (
            p.get("ts") == placeholder["_ts"] and "owns" in json.dumps(p) and "hourglass" not in json.dumps(p)
        ),
    )
    assert any(b["type"] == "context_actions" for b in final[-1]["blocks"])  # feedback on the fallback too
    assert slack_api.of("chat.appendStream") == []


async def test_an_approval_stops_the_stream_and_posts_the_request(make_app, slack_api):
    app, _ = make_app([call("restart_widget", {"name": "widget-api", "replicas": 2})], slack_native_streaming=True)
    await ask(app, slack_api, "restart widget-api")
    stopped = slack_api.of("chat.stopStream")[0]
    assert "approval" in stopped["markdown_text"]
    card = await slack_api.wait_for("chat.postMessage", where=lambda p: "restart" in json.dumps(p.get("blocks")))
    assert any(b.get("type") == "actions" for b in card[0]["blocks"])


async def test_a_thumbs_down_is_stored_once_with_its_turn_and_exported_as_a_draft_case(make_app, slack_api, tmp_path):
    script = [call("widget_status", {"name": "widget-api"}), AIMessage(content="widget-api is down.")]
    app, service = make_app(script, slack_native_streaming=True)
    event = await ask(app, slack_api, "is widget-api ok?")
    raw = json.loads(
        parse_qs(action_body(FEEDBACK_ACTION, "bad:1", "U0WENDY", CHANNEL, "1700000002.000001"))["payload"][0]
    )
    raw["message"]["thread_ts"] = event["ts"]
    body = urlencode({"payload": json.dumps(raw)})
    assert (await dispatch(app, body, signed_headers(body, form=True))).status == 200
    ack = await slack_api.wait_for("chat.postEphemeral")
    assert "eval backlog" in ack[0]["text"]
    # a double click: a second delivery of its own (another trigger and action time)
    raw["trigger_id"], raw["actions"][0]["action_ts"] = "trig-again", "1700000009.000001"
    again = urlencode({"payload": json.dumps(raw)})
    assert (await dispatch(app, again, signed_headers(again, form=True))).status == 200
    await slack_api.wait_for("chat.postEphemeral", 2)
    rows = feedback_store(service.runtime).rows("bad")
    assert [(r.rating, r.number, r.question, r.answer, r.principal) for r in rows] == [
        ("bad", 1, "is widget-api ok?", "widget-api is down.", "user:default/wendy.owner")
    ]
    assert rows[0].tool_calls == [{"name": "widget_status", "args": {"name": "widget-api"}}]
    (case,) = draft_cases(rows)
    assert case["question"] == "is widget-api ok?" and case["feedback"]["answer_given"] == "widget-api is down."
