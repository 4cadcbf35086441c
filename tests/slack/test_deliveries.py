"""Slack's delivery rules: signatures checked, acknowledged fast, retries answered exactly once."""

from __future__ import annotations

import asyncio
import time

from langchain_core.messages import AIMessage

from connectors.slack.app import delivery_key
from connectors.slack.store import SlackStore
from tests.support.slack import SECRET, dispatch, event_body, mention, signed_headers


async def test_forged_signature_is_rejected_and_nothing_runs(make_app, slack_api):
    app, service = make_app([AIMessage(content="should not be seen")])
    body = event_body(mention("who owns widget-api?"))
    forged = signed_headers(body, secret="not-the-" + SECRET)
    assert (await dispatch(app, body, forged)).status == 401
    tampered = signed_headers(body)
    assert (await dispatch(app, body.replace("widget-api", "payments"), tampered)).status == 401
    unsigned = {"content-type": "application/json"}
    assert (await dispatch(app, body, unsigned)).status == 401
    await asyncio.sleep(0.3)
    assert slack_api.of("chat.postMessage") == [] and service.model.seen == []


async def test_expired_signature_is_rejected(make_app, slack_api):
    app, service = make_app([AIMessage(content="should not be seen")])
    body = event_body(mention("who owns widget-api?"))
    old = signed_headers(body, timestamp=int(time.time()) - 10 * 60)  # a replay ten minutes later
    assert (await dispatch(app, body, old)).status == 401
    await asyncio.sleep(0.3)
    assert slack_api.of("chat.postMessage") == [] and service.model.seen == []


async def test_retried_delivery_is_answered_once(make_app, slack_api):
    app, service = make_app([AIMessage(content="only once"), AIMessage(content="twice?!")])
    body = event_body(mention("who owns widget-api?"), event_id="Ev0RETRY")
    assert (await dispatch(app, body, signed_headers(body))).status == 200
    for retry in (1, 2):  # Slack's retries carry the same event id (and a retry header)
        assert (await dispatch(app, body, signed_headers(body, retry=retry))).status == 200
    await slack_api.wait_for("chat.update", where=lambda p: "only once" in str(p.get("blocks")))
    await asyncio.sleep(0.5)
    assert len(slack_api.of("chat.postMessage")) == 1
    assert len(service.model.seen) == 1


async def test_duplicate_across_replicas_sharing_the_database_is_answered_once(make_app, slack_api, tmp_path):
    replica_a, service_a = make_app([AIMessage(content="from a replica")], data_dir=tmp_path)
    replica_b, service_b = make_app([AIMessage(content="from a replica")], data_dir=tmp_path)
    body = event_body(mention("who owns widget-api?"), event_id="Ev0REPLICA")
    responses = await asyncio.gather(
        dispatch(replica_a, body, signed_headers(body)), dispatch(replica_b, body, signed_headers(body, retry=1))
    )
    assert [r.status for r in responses] == [200, 200]
    await slack_api.wait_for("chat.update", where=lambda p: "from a replica" in str(p.get("blocks")))
    await asyncio.sleep(0.5)
    assert len(slack_api.of("chat.postMessage")) == 1
    assert len(service_a.model.seen) + len(service_b.model.seen) == 1


async def test_acknowledgement_does_not_wait_for_the_answer(make_app, slack_api):
    """The HTTP response goes before the (slow) turn finishes: the work runs after the ack."""
    slow = [AIMessage(content="slow answer")]
    app, _service = make_app(slow, streaming=True)
    body = event_body(mention("who owns widget-api?"))
    response = await dispatch(app, body, signed_headers(body))
    assert response.status == 200
    assert not any("slow answer" in str(p.get("blocks")) for p in slack_api.of("chat.update"))
    await slack_api.wait_for("chat.update", where=lambda p: "slow answer" in str(p.get("blocks")))


def test_claims_are_atomic_across_connections(tmp_path):
    first, second = SlackStore(tmp_path / "db.sqlite"), SlackStore(tmp_path / "db.sqlite")
    assert first.claim("event:Ev1") is True
    assert second.claim("event:Ev1") is False and first.claim("event:Ev1") is False
    assert second.claim("event:Ev2") is True


def test_delivery_keys():
    assert delivery_key({"type": "event_callback", "event_id": "Ev9"}) == "event:Ev9"
    assert delivery_key({"command": "/portal", "trigger_id": "t1"}) == "command:t1"
    assert delivery_key({"type": "block_actions", "trigger_id": "t2"}) == "action:t2"
    assert delivery_key({"type": "url_verification", "challenge": "x"}) is None


def test_turn_slots_default_by_model(tmp_path):
    from connectors.slack.app import default_max_turns
    from contract.settings import Settings

    assert default_max_turns(Settings(data_dir=tmp_path)) == 1
    assert default_max_turns(Settings(data_dir=tmp_path, model="openai:gpt-4o-mini")) == 8
    assert default_max_turns(Settings(data_dir=tmp_path, slack_max_concurrent_turns=3)) == 3
