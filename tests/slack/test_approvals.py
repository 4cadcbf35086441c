"""Approval requests as Block Kit messages with buttons; clicks decided with the clicker's identity."""

from __future__ import annotations

import json

from langchain_core.messages import AIMessage

from connectors.slack import render
from tests.support.agent import call, executions, restart_then_answer
from tests.support.mock_slack import blocks_text
from tests.support.slack import (
    CHANNEL,
    TEAM_CHANNEL,
    action_body,
    ask_restart,
    dispatch,
    event_body,
    message,
    signed_headers,
)


async def click(app, api, action, request, user, message_ts, trigger_id=None):
    value = f"{request.id}|{request.args_hash}"
    body = action_body(action, value, user, CHANNEL, message_ts, trigger_id=trigger_id)
    response = await dispatch(app, body, signed_headers(body, form=True))
    assert response.status == 200
    return response


async def test_request_message_shows_everything_an_approver_needs(make_app, slack_api):
    app, service = make_app(restart_then_answer())
    request, update, _event, copies = await ask_restart(app, slack_api)
    text = blocks_text(update["blocks"])
    for expected in (
        "Approval needed",
        "restart",
        "component:default/widget-api",
        "production",
        "would restart widget-api with 2 replicas",
        "medium",
        "<@U0WENDY>",
        "team-widgets (group)",
        "olga.oncall (user)",
        "team-admins (group)",
        "<!date^",
        request.id,
        "four eyes",
    ):
        assert expected in text, expected
    buttons = next(b for b in update["blocks"] if b["type"] == "actions")["elements"]
    assert [b["action_id"] for b in buttons] == [render.APPROVE_ACTION, render.REJECT_ACTION]
    # Also in the owning team's channel (slack.com/channel-id on team-widgets), saying where it came from.
    assert len(copies) == 1 and f"<#{CHANNEL}>" in blocks_text(copies[0]["blocks"])
    assert executions(service.runtime) == []


async def test_unauthorized_click_is_explained_privately_and_the_request_stays_pending(make_app, slack_api):
    app, service = make_app(restart_then_answer())
    request, update, _event, _ = await ask_restart(app, slack_api)
    await click(app, slack_api, render.APPROVE_ACTION, request, "U0OSCAR", update["ts"])
    ephemeral = (await slack_api.wait_for("chat.postEphemeral"))[0]
    assert ephemeral["user"] == "U0OSCAR" and ephemeral["channel"] == CHANNEL
    assert "may not approve" in ephemeral["text"] and "stays pending" in ephemeral["text"]
    assert service.gate.store.status(request.id) == "pending"
    assert executions(service.runtime) == []
    # Unknown people cannot approve either; the request is still there for an allowed approver.
    await click(app, slack_api, render.APPROVE_ACTION, request, "U0STRANGER", update["ts"])
    assert "read-only" in (await slack_api.wait_for("chat.postEphemeral", 2))[1]["text"]
    assert service.gate.store.status(request.id) == "pending"


async def test_authorized_click_executes_once_and_updates_every_copy(make_app, slack_api):
    app, service = make_app(restart_then_answer())
    request, update, event, copies = await ask_restart(app, slack_api)
    await click(app, slack_api, render.APPROVE_ACTION, request, "U0OLGA", update["ts"], trigger_id="trig-olga")
    decided = await slack_api.wait_for("chat.update", 2, where=lambda p: "Approved" in blocks_text(p["blocks"]))
    assert {(p["channel"], p["ts"]) for p in decided} == {(CHANNEL, update["ts"]), (TEAM_CHANNEL, copies[0]["_ts"])}
    shown = blocks_text(decided[0]["blocks"])
    assert "<@U0OLGA>" in shown and "executed" in shown and '"restarted": "widget-api"' in shown
    assert all("actions" not in [b["type"] for b in p["blocks"]] for p in decided)
    answer = await slack_api.wait_for(
        "chat.postMessage", where=lambda p: p.get("thread_ts") == event["ts"] and "done" in json.dumps(p.get("blocks"))
    )
    assert answer
    assert executions(service.runtime) == [{"name": "widget-api", "replicas": 2, "by": "user:default/wendy.owner"}]
    assert service.gate.store.status(request.id) == "executed"
    # The same click delivered again is dropped; a new click is told the request was decided.
    await click(app, slack_api, render.APPROVE_ACTION, request, "U0OLGA", update["ts"], trigger_id="trig-olga")
    await click(app, slack_api, render.APPROVE_ACTION, request, "U0ADA", update["ts"])
    told = (await slack_api.wait_for("chat.postEphemeral"))[0]
    assert told["user"] == "U0ADA" and "already decided" in told["text"]
    assert len(slack_api.of("chat.postEphemeral")) == 1
    assert len(executions(service.runtime)) == 1


async def test_reject_does_not_execute(make_app, slack_api):
    app, service = make_app([call("restart_widget", {"name": "widget-api"}), AIMessage(content="ok, not done")])
    request, update, _event, _ = await ask_restart(app, slack_api)
    await click(app, slack_api, render.REJECT_ACTION, request, "U0OLGA", update["ts"])
    decided = await slack_api.wait_for("chat.update", where=lambda p: "Rejected" in blocks_text(p["blocks"]))
    assert "<@U0OLGA>" in blocks_text(decided[0]["blocks"])
    assert executions(service.runtime) == []
    assert service.gate.store.status(request.id) == "rejected"


async def test_requester_cannot_approve_their_own_production_change(make_app, slack_api):
    app, service = make_app(restart_then_answer())
    request, update, _event, _ = await ask_restart(app, slack_api, user="U0OLGA")
    await click(app, slack_api, render.APPROVE_ACTION, request, "U0OLGA", update["ts"])
    told = (await slack_api.wait_for("chat.postEphemeral"))[0]
    assert "requester may not approve" in told["text"]
    assert executions(service.runtime) == [] and service.gate.store.status(request.id) == "pending"


async def test_expired_request_is_closed_without_executing(make_app, slack_api):
    app, service = make_app(restart_then_answer(), approval_ttl_minutes=0)
    request, update, _event, _ = await ask_restart(app, slack_api)
    await click(app, slack_api, render.APPROVE_ACTION, request, "U0OLGA", update["ts"])
    decided = await slack_api.wait_for("chat.update", where=lambda p: "Expired" in blocks_text(p["blocks"]))
    assert decided and executions(service.runtime) == []


async def test_click_on_an_unknown_request_is_explained(make_app, slack_api):
    app, _service = make_app([])
    body = action_body(render.APPROVE_ACTION, "apr_doesnotexist|abc", "U0OLGA", CHANNEL, "1.2")
    assert (await dispatch(app, body, signed_headers(body, form=True))).status == 200
    told = (await slack_api.wait_for("chat.postEphemeral"))[0]
    assert "cannot find" in told["text"]


async def test_a_thread_waiting_for_approval_takes_no_new_question_until_decided(make_app, slack_api):
    app, service = make_app([*restart_then_answer(), AIMessage(content="after the decision")])
    request, update, event, _ = await ask_restart(app, slack_api)
    chatter = message("any news?", user="U0WENDY", thread_ts=event["ts"])
    body = event_body(chatter)
    await dispatch(app, body, signed_headers(body))
    told = await slack_api.wait_for(
        "chat.postMessage", where=lambda p: "waiting for a decision" in (p.get("text") or "")
    )
    assert told[0]["thread_ts"] == event["ts"] and request.id in told[0]["text"]
    assert "decide it first" in told[0]["text"]
    assert len(service.model.seen) == 1  # the model was not run past the interrupt
    assert service.pending_approval(request.thread_id).id == request.id
    await click(app, slack_api, render.APPROVE_ACTION, request, "U0OLGA", update["ts"])
    await slack_api.wait_for("chat.update", where=lambda p: "executed" in blocks_text(p["blocks"]))
    assert len(executions(service.runtime)) == 1
    follow = message("and now?", user="U0WENDY", thread_ts=event["ts"])
    body = event_body(follow)
    await dispatch(app, body, signed_headers(body))
    await slack_api.wait_for("chat.update", where=lambda p: "after the decision" in blocks_text(p["blocks"]))


async def test_portal_approvals_lists_what_waits_for_the_caller(make_app, slack_api):
    from tests.support.slack import command_body

    app, _service = make_app(restart_then_answer())
    request, _update, _event, _ = await ask_restart(app, slack_api)
    for user in ("U0OLGA", "U0OSCAR"):
        body = command_body("approvals", user=user)
        assert (await dispatch(app, body, signed_headers(body, form=True))).status == 200
    listed = await slack_api.wait_for("chat.postEphemeral", 2)
    by_user = {p["user"]: p["text"] for p in listed}
    assert request.id in by_user["U0OLGA"] and "restart" in by_user["U0OLGA"]
    assert request.id not in by_user["U0OSCAR"] and "No approval requests" in by_user["U0OSCAR"]


async def test_an_overdue_request_is_closed_by_the_sweep_and_every_copy_updated(make_app, slack_api):
    app, service = make_app(restart_then_answer(), approval_ttl_minutes=0)
    request, update, event, copies = await ask_restart(app, slack_api)
    decisions = app._portal_connector.decisions

    assert await decisions.expire_overdue(app.client) == 1
    expired = await slack_api.wait_for("chat.update", where=lambda p: "Expired" in blocks_text(p["blocks"]), count=2)
    assert sorted(p["channel"] for p in expired) == sorted([CHANNEL, TEAM_CHANNEL]) and copies
    assert update["ts"] in {p["ts"] for p in expired}
    told = await slack_api.wait_for(
        "chat.postMessage", where=lambda p: p.get("thread_ts") == event["ts"] and "done" in json.dumps(p)
    )
    assert told and executions(service.runtime) == []
    assert service.gate.store.status(request.id) == "refused"
    assert await decisions.expire_overdue(app.client) == 0  # closed once


async def test_the_web_app_with_slack_mounted_closes_overdue_slack_requests_at_start_up(make_app, slack_api, tmp_path):
    from connectors.web.app import create_app
    from tests.support.slack import make_service

    app, service = make_app(restart_then_answer(), approval_ttl_minutes=0)
    request, update, _event, _ = await ask_restart(app, slack_api)
    await service.aclose()  # the process that asked stops; `portal-agent serve` starts with Slack mounted
    restarted = make_service(
        tmp_path, slack_api, [AIMessage(content="closed after the restart")], approval_ttl_minutes=0
    )
    web = create_app(restarted, background_indexing=False)
    try:
        async with web.router.lifespan_context(web):
            expired = await slack_api.wait_for(
                "chat.update", where=lambda p: "Expired" in blocks_text(p["blocks"]) and p["ts"] == update["ts"]
            )
            await slack_api.wait_for("chat.postMessage", where=lambda p: "closed after the restart" in json.dumps(p))
    finally:
        await restarted.aclose()
    assert expired and restarted.gate.store.status(request.id) == "refused"
    assert executions(restarted.runtime) == []


async def test_a_thread_whose_request_expired_takes_questions_again(make_app, slack_api):
    app, service = make_app([*restart_then_answer(), AIMessage(content="a fresh answer")], approval_ttl_minutes=0)
    request, _update, event, _ = await ask_restart(app, slack_api)
    body = event_body(message("anything else?", user="U0WENDY", thread_ts=event["ts"]))
    await dispatch(app, body, signed_headers(body))
    await slack_api.wait_for("chat.update", where=lambda p: "a fresh answer" in blocks_text(p.get("blocks") or []))
    assert service.gate.store.status(request.id) == "refused" and executions(service.runtime) == []
    assert service.pending_approval(request.thread_id) is None


async def test_a_slash_command_answered_privately_is_refused_while_its_request_waits(make_app, slack_api):
    from connectors.slack.app import _answer_privately
    from tests.support.mock_slack import TEAM

    app, service = make_app([*restart_then_answer(), AIMessage(content="never reached")])
    said: list[dict] = []

    async def respond(**kw):
        said.append(kw)

    command = {"user_id": "U0WENDY", "team_id": TEAM, "channel_id": CHANNEL, "trigger_id": "trig-private"}
    await _answer_privately(app._portal_connector, app.client, respond, command, "restart widget-api")
    await _answer_privately(app._portal_connector, app.client, respond, command, "and now?")
    request = service.gate.store.pending()[0]
    assert len(said) == 2 and request.id in said[1]["text"] and "decide it first" in said[1]["text"]
    assert len(service.model.seen) == 1
