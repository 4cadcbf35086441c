"""The whole stack over the demo organisation: offline planner, real tools, Slack identity."""

from __future__ import annotations

from agent.runtime import Runtime
from agent.service import AgentService
from connectors.slack.app import build_slack_app
from contract.settings import Settings
from tests.support.mock_slack import blocks_text
from tests.support.slack import BOT_TOKEN, SECRET, dispatch, event_body, mention, signed_headers


async def test_demo_question_is_answered_from_the_catalog(tmp_path, slack_api):
    slack_api.users["U0PRIYA"] = {"id": "U0PRIYA", "name": "priya", "profile": {"email": "priya.raman@tessera.example"}}
    service = AgentService(
        Runtime(
            Settings(
                data_dir=tmp_path,
                demo=True,
                slack_bot_token=BOT_TOKEN,
                slack_signing_secret=SECRET,
                slack_api_url=slack_api.api_url,
            )
        )
    )
    app = build_slack_app(service)
    try:
        body = event_body(mention("who owns checkout?", user="U0PRIYA"))
        assert (await dispatch(app, body, signed_headers(body))).status == 200
        await slack_api.wait_for("chat.stopStream", timeout=90)  # the demo streams natively
        text = "".join(p.get("markdown_text", "") for p in slack_api.of("chat.appendStream"))
        assert "group:default/team-checkout" in text, text
        principal = app._portal_connector.identities._cache[("T0TEST", "U0PRIYA")][1]
        assert principal.ref == "user:default/priya.raman" and not principal.read_only
    finally:
        await service.aclose()


async def test_demo_restart_is_approved_by_the_on_call_engineer_with_a_button(tmp_path, slack_api):
    """A real mutating tool of the demo (Kubernetes rollout restart) through the Slack approval card."""
    from connectors.slack import render
    from tests.support.slack import CHANNEL, action_body

    for uid, email in (("U0PRIYA", "priya.raman@tessera.example"), ("U0MARCO", "marco.bianchi@tessera.example")):
        slack_api.users[uid] = {"id": uid, "name": uid.lower(), "profile": {"email": email}}
    service = AgentService(
        Runtime(
            Settings(
                data_dir=tmp_path,
                demo=True,
                slack_bot_token=BOT_TOKEN,
                slack_signing_secret=SECRET,
                slack_api_url=slack_api.api_url,
            )
        )
    )
    app = build_slack_app(service)
    try:
        event = mention("restart checkout in prod", user="U0PRIYA")
        body = event_body(event)
        await dispatch(app, body, signed_headers(body))
        card = (
            await slack_api.wait_for(
                "chat.postMessage",
                timeout=90,
                where=lambda p: any(b.get("type") == "actions" for b in p.get("blocks") or []),
            )
        )[0]
        card["ts"] = card["_ts"]
        text = blocks_text(card["blocks"])
        assert "rollout restart" in text and "component:default/checkout" in text and "Dry run" in text
        value = next(b for b in card["blocks"] if b["type"] == "actions")["elements"][0]["value"]
        click = action_body(render.APPROVE_ACTION, value, "U0MARCO", CHANNEL, card["ts"])
        assert (await dispatch(app, click, signed_headers(click, form=True))).status == 200
        decided = await slack_api.wait_for(
            "chat.update", timeout=90, where=lambda p: "<@U0MARCO>" in blocks_text(p.get("blocks"))
        )
        assert "executed" in blocks_text(decided[0]["blocks"])
        request_id, _ = render.parse_button_value(value)
        assert service.gate.store.status(request_id) == "executed"
        await slack_api.wait_for(
            "chat.postMessage",
            timeout=90,
            where=lambda p: p.get("thread_ts") == event["ts"] and "rollout restart" in blocks_text(p.get("blocks")),
        )
    finally:
        await service.aclose()
