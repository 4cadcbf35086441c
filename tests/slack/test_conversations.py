"""Questions through the Bolt app: signed deliveries in, recorded Web API calls out."""

from __future__ import annotations

import asyncio
import json

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from tests.support.agent import call
from tests.support.mock_slack import blocks_text
from tests.support.slack import (
    CHANNEL,
    command_body,
    dispatch,
    event_body,
    mention,
    message,
    signed_headers,
    tiny_png,
)


def thread_replies(api, thread_ts):
    return [p for p in api.of("chat.postMessage") if p.get("thread_ts") == thread_ts]


async def final_update(api, ts, contains):
    """The update that turned the placeholder into the answer (progress updates carry an hourglass)."""
    found = await api.wait_for(
        "chat.update",
        where=lambda p: p.get("ts") == ts and contains in json.dumps(p) and "hourglass" not in json.dumps(p),
    )
    return found[-1]


async def test_mention_is_answered_in_its_thread(make_app, slack_api):
    app, service = make_app([AIMessage(content="**team-widgets** owns widget-api.")])
    event = mention("who owns widget-api?")
    body = event_body(event)
    response = await dispatch(app, body, signed_headers(body))
    assert response.status == 200
    posted = (await slack_api.wait_for("chat.postMessage"))[0]
    assert posted["channel"] == CHANNEL and posted["thread_ts"] == event["ts"]
    final = await final_update(slack_api, posted["_ts"], "owns widget-api")
    assert "*team-widgets* owns widget-api." in blocks_text(final["blocks"])
    # Who asked reached the graph: users.info → email → catalog User.
    assert slack_api.of("users.info")[0]["user"] == "U0WENDY"
    system = next(m for m in service.model.seen[0] if isinstance(m, SystemMessage))
    assert system.additional_kwargs["principal"]["ref"] == "user:default/wendy.owner"
    assert system.additional_kwargs["principal"]["via"] == "slack"
    human = next(m for m in service.model.seen[0] if isinstance(m, HumanMessage))
    assert human.content == "who owns widget-api?"  # the mention itself is stripped
    assert "auth.test" in slack_api.methods()


async def test_follow_up_in_the_thread_keeps_memory_and_other_threads_are_ignored(make_app, slack_api):
    app, service = make_app([AIMessage(content="team-widgets owns it."), AIMessage(content="Olga is on call.")])
    first = mention("who owns widget-api?")
    body = event_body(first)
    await dispatch(app, body, signed_headers(body))
    await final_update(slack_api, (await slack_api.wait_for("chat.postMessage"))[0]["_ts"], "owns it")

    stray = message("unrelated chatter", thread_ts="1600000000.000001")
    body = event_body(stray)
    await dispatch(app, body, signed_headers(body))
    follow = message("and who is on call?", user="U0OLGA", thread_ts=first["ts"])
    body = event_body(follow)
    await dispatch(app, body, signed_headers(body))
    replies = await slack_api.wait_for("chat.postMessage", 2, where=lambda p: p.get("thread_ts") == first["ts"])
    await final_update(slack_api, replies[1]["_ts"], "on call")
    # The model saw the whole conversation on the second turn, and the follow-up came from Olga.
    second = service.model.seen[1]
    humans = [m.content for m in second if isinstance(m, HumanMessage)]
    assert humans == ["who owns widget-api?", "and who is on call?"]
    assert [m.content for m in second if isinstance(m, AIMessage)] == ["team-widgets owns it."]
    system = next(m for m in second if isinstance(m, SystemMessage))
    assert system.additional_kwargs["principal"]["ref"] == "user:default/olga.oncall"
    assert not thread_replies(slack_api, "1600000000.000001")
    assert len(service.model.seen) == 2


async def test_direct_message_uses_assistant_status_and_progressive_updates(make_app, slack_api):
    text = "Widget API is owned by team-widgets and runs three replicas in production today."
    app, _ = make_app([AIMessage(content=text)], streaming=True, update_interval=0.0)
    event = message("tell me about widget-api", channel="D0WENDY", channel_type="im")
    body = event_body(event)
    await dispatch(app, body, signed_headers(body))
    posted = (await slack_api.wait_for("chat.postMessage"))[0]
    assert posted["channel"] == "D0WENDY" and posted["thread_ts"] == event["ts"]
    await final_update(slack_api, posted["_ts"], "production today.")
    await slack_api.wait_for("assistant.threads.setStatus", where=lambda p: p.get("status") == "")
    updates = [blocks_text(p["blocks"]) for p in slack_api.of("chat.update") if p["ts"] == posted["_ts"]]
    # Progressive: several partial versions before the final one, each extending the previous.
    partial = [u for u in updates if "working" in u or "thinking" in u]
    assert len(partial) >= 3, updates
    statuses = [p["status"] for p in slack_api.of("assistant.threads.setStatus")]
    assert statuses[0] == "is thinking…" and statuses[-1] == ""
    assert all(
        p["thread_ts"] == event["ts"] and p["channel_id"] == "D0WENDY"
        for p in slack_api.of("assistant.threads.setStatus")
    )


async def test_assistant_thread_gets_suggested_prompts(make_app, slack_api):
    app, _ = make_app([])
    event = {
        "type": "assistant_thread_started",
        "event_ts": "1710000000.1",
        "assistant_thread": {"user_id": "U0WENDY", "channel_id": "D0WENDY", "thread_ts": "1710000000.2", "context": {}},
    }
    body = event_body(event)
    assert (await dispatch(app, body, signed_headers(body))).status == 200
    call_ = (await slack_api.wait_for("assistant.threads.setSuggestedPrompts"))[0]
    assert call_["channel_id"] == "D0WENDY" and call_["thread_ts"] == "1710000000.2"
    assert len(call_["prompts"]) >= 2 and all(p["message"] for p in call_["prompts"])


async def test_slash_command_answers_in_a_new_thread(make_app, slack_api):
    app, _service = make_app([AIMessage(content="widget-api is healthy.")])
    body = command_body("is widget-api healthy?")
    response = await dispatch(app, body, signed_headers(body, form=True))
    assert response.status == 200
    anchor = (await slack_api.wait_for("chat.postMessage"))[0]
    assert anchor["channel"] == CHANNEL and "thread_ts" not in anchor
    assert anchor["text"] == "<@U0WENDY> asked: is widget-api healthy?"
    reply = (await slack_api.wait_for("chat.postMessage", 2))[1]
    assert reply["thread_ts"] == anchor["_ts"]
    await final_update(slack_api, reply["_ts"], "is healthy")


async def test_slash_command_help_is_in_the_acknowledgement(make_app, slack_api):
    app, _service = make_app([])
    body = command_body("help")
    response = await dispatch(app, body, signed_headers(body, form=True))
    assert response.status == 200 and "/portal" in response.body
    assert slack_api.of("chat.postMessage") == []


async def test_slash_command_outside_the_bots_channels_answers_through_the_response_url(make_app, slack_api):
    app, _ = make_app([AIMessage(content="private answer")])
    slack_api.not_in_channels.add("C0PRIVATE")
    body = command_body("who owns widget-api?", channel="C0PRIVATE", response_url=f"{slack_api.base}/response/1")
    await dispatch(app, body, signed_headers(body, form=True))
    sent = (await slack_api.wait_for("/response/1"))[0]
    assert sent["response_type"] == "ephemeral" and "private answer" in sent["text"]


async def test_charts_are_uploaded_and_citations_shown(make_app, slack_api, tmp_path):
    png = tiny_png(tmp_path / "cost.png")
    (tmp_path / "cost.txt").write_text("not a chart")
    script = [
        call("cost_chart", {"service": "widget-api"}),
        AIMessage(content="| month | cost |\n|---|---|\n| Jan | 10 |\n| Feb | 12 |"),
    ]
    app, _ = make_app(script, png=png)
    event = mention("what did widget-api cost?")
    body = event_body(event)
    await dispatch(app, body, signed_headers(body))
    posted = (await slack_api.wait_for("chat.postMessage"))[0]
    final = await final_update(slack_api, posted["_ts"], "Cost report")
    fields = [b for b in final["blocks"] if b["type"] == "section" and "fields" in b]
    assert fields and [f["text"] for f in fields[0]["fields"]] == ["*Jan*\n10", "*Feb*\n12"]
    assert "<https://cost.example.test/report/1|Cost report>" in blocks_text(final["blocks"])
    url_call = (await slack_api.wait_for("files.getUploadURLExternal"))[0]
    assert url_call["filename"] == "cost.png" and int(url_call["length"]) == png.stat().st_size
    upload = (await slack_api.wait_for("/upload/F1"))[0]
    assert upload["_bytes"] == png.stat().st_size and upload["_head"].startswith(b"\x89PNG")
    done = (await slack_api.wait_for("files.completeUploadExternal"))[0]
    assert done["channel_id"] == CHANNEL and done["thread_ts"] == event["ts"]
    assert len(slack_api.of("files.getUploadURLExternal")) == 1  # the .txt path is not a chart


async def test_unknown_and_emailless_users_are_read_only(make_app, slack_api):
    script = [call("restart_widget", {"name": "widget-api"}), AIMessage(content="I cannot do that.")]
    app, service = make_app(script)
    event = mention("restart widget-api", user="U0STRANGER")
    body = event_body(event)
    await dispatch(app, body, signed_headers(body))
    posted = (await slack_api.wait_for("chat.postMessage"))[0]
    final = await final_update(slack_api, posted["_ts"], "cannot do that")
    assert "actions" not in [b["type"] for b in final["blocks"]]
    assert service.gate.store.pending() == []
    principal = service.model.seen[0][0].additional_kwargs["principal"]
    assert principal["read_only"] is True and principal["email"] == "stranger@elsewhere.test"

    identities = app._portal_connector.identities
    emailless = await identities.resolve(app.client, "U0NOEMAIL", "T0TEST")
    missing = await identities.resolve(app.client, "U0GHOST", "T0TEST")
    assert emailless.read_only and missing.read_only


async def test_a_failing_turn_says_so_and_the_app_keeps_answering(make_app, slack_api):
    app, service = make_app([AIMessage(content="second answer")])
    slack_api.fail["users.info"] = "ratelimited"  # identity lookup fails: read-only, still answered
    first = mention("first question")
    body = event_body(first)
    await dispatch(app, body, signed_headers(body))
    posted = (await slack_api.wait_for("chat.postMessage"))[0]
    await final_update(slack_api, posted["_ts"], "second answer")
    slack_api.fail.pop("users.info")

    broken = [AIMessage(content="unused")]
    app2, service2 = make_app(broken, data_dir=service.runtime.data_dir / "other")
    service2.aevents = _exploding_stream  # a fault inside the graph run
    second = mention("this one breaks", channel="C0OTHER")
    body = event_body(second)
    await dispatch(app2, body, signed_headers(body))
    placeholder = (await slack_api.wait_for("chat.postMessage", where=lambda p: p["channel"] == "C0OTHER"))[0]
    final = await final_update(slack_api, placeholder["_ts"], "Sorry")
    assert "RuntimeError" in blocks_text(final["blocks"]) and "secret" not in json.dumps(final)


async def _exploding_stream(*args, **kwargs):
    raise RuntimeError("internal detail with a secret xoxb-123456789-abcdef")
    yield  # pragma: no cover


async def test_progressive_updates_are_throttled(make_app, slack_api):
    text = "one two three four five six seven eight nine ten eleven twelve"
    app, _ = make_app([AIMessage(content=text)], streaming=True, update_interval=60.0)
    event = mention("count for me")
    body = event_body(event)
    await dispatch(app, body, signed_headers(body))
    posted = (await slack_api.wait_for("chat.postMessage"))[0]
    await final_update(slack_api, posted["_ts"], "twelve")
    await asyncio.sleep(0.2)
    assert len([p for p in slack_api.of("chat.update") if p["ts"] == posted["_ts"]]) == 1  # only the final one


async def test_failed_progress_updates_do_not_lose_the_answer(make_app, slack_api):
    app, _ = make_app([AIMessage(content="alpha beta gamma delta epsilon")], streaming=True, update_interval=0.0)
    slack_api.fail_first["chat.update"] = 2
    event = mention("greek letters?")
    body = event_body(event)
    await dispatch(app, body, signed_headers(body))
    posted = (await slack_api.wait_for("chat.postMessage"))[0]
    final = await final_update(slack_api, posted["_ts"], "epsilon")
    assert "hourglass" not in blocks_text(final["blocks"])
