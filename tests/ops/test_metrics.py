"""``/metrics`` scraped over HTTP after real turns, and parsed with prometheus_client's own parser.

The app runs under uvicorn on a loopback port with the offline planner; the questions, the approval
and its rejection go through the Agent Protocol API like the widget's, and Slack deliveries through
``/slack/events`` signed as Slack signs them.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from langchain_core.messages import AIMessage
from prometheus_client.parser import text_string_to_metric_families

from agent.service import AgentService
from connectors.web.app import create_app
from tests.support.mock_slack import MockSlack
from tests.support.slack import USERS, event_body, make_service, mention, signed_headers
from tests.support.web import TOKENS, LiveServer, ask_body, auth, make_web_runtime, parse_sse


def scrape(http: httpx.Client) -> dict[tuple[str, frozenset], float]:
    """Every sample of ``/metrics``: (name, labels) -> value."""
    response = http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def run(http: httpx.Client, thread_id: str, body: dict, who: str = "wendy") -> list:
    response = http.post(f"/threads/{thread_id}/runs/stream", json={"assistant_id": "agent", **body}, headers=auth(who))
    assert response.status_code == 200, response.text
    return parse_sse(response.text)


@pytest.fixture
def server(tmp_path):
    live = LiveServer(create_app(AgentService(make_web_runtime(tmp_path, web_api_tokens=TOKENS)))).start()
    yield live
    live.stop()


def test_metrics_after_real_turns_over_http(server):
    with httpx.Client(base_url=server.url, timeout=120) as http:
        before = scrape(http)
        assert value(before, "portal_agent_turns_total", kind="question", outcome="answered") == 0
        assert value(before, "portal_agent_approvals_pending") == 0

        thread = http.post("/threads", json={}, headers=auth("wendy")).json()["thread_id"]
        events = run(http, thread, ask_body("how do I deploy widgets?", ["messages-tuple", "values"]))
        assert events[-1][1]["status"] == "success"
        after_question = scrape(http)

        restart = http.post("/threads", json={}, headers=auth("wendy")).json()["thread_id"]
        stopped = run(http, restart, ask_body("restart widget-lab", "updates"))
        assert stopped[-1][1]["status"] == "interrupted"
        waiting = scrape(http)

        reject = {"command": {"resume": {"decisions": [{"type": "reject", "message": "not now"}]}}}
        assert run(http, restart, reject)[-1][1]["status"] == "success"
        assert http.get("/no/such/page").status_code == 404
        done = scrape(http)
        text = http.get("/metrics").text

    # HTTP: the run's route by its template, with its status and its duration to the stream's end.
    route = "/threads/{thread_id}/runs/stream"
    assert value(done, "portal_agent_http_requests_total", method="POST", route=route, status="200") == 3
    assert value(done, "portal_agent_http_request_duration_seconds_count", method="POST", route=route) == 3
    assert value(done, "portal_agent_http_request_duration_seconds_sum", method="POST", route=route) > 0
    assert value(done, "portal_agent_http_requests_total", method="GET", route="unmatched", status="404") == 1
    # The question: one answered turn, its first token, its tokens, its tool call.
    assert value(after_question, "portal_agent_turns_total", kind="question", outcome="answered") == 1
    assert value(after_question, "portal_agent_first_token_seconds_count", kind="question") == 1
    assert 0 < value(after_question, "portal_agent_first_token_seconds_sum", kind="question") < 60
    assert value(after_question, "portal_agent_turn_tokens_count", direction="output") == 1
    assert value(after_question, "portal_agent_turn_tokens_sum", direction="output") > 10
    assert value(after_question, "portal_agent_turn_tokens_count", direction="input") == 0  # offline: unreported
    assert value(after_question, "portal_agent_tool_calls_total", tool="widget_docs", outcome="ok") == 1
    assert value(after_question, "portal_agent_model_calls_total", outcome="ok") >= 2
    # The approval: pending while it waits, then decided; the rejected call is a tool error.
    assert value(waiting, "portal_agent_turns_total", kind="question", outcome="approval") == 1
    assert value(waiting, "portal_agent_approvals_requested_total", tool="restart_widget") == 1
    assert value(waiting, "portal_agent_approvals_pending") == 1
    assert value(done, "portal_agent_approvals_pending") == 0
    assert value(done, "portal_agent_approvals_decided_total", decision="rejected") == 1
    assert value(done, "portal_agent_turns_total", kind="decision", outcome="answered") == 1
    assert value(done, "portal_agent_tool_errors_total", tool="restart_widget") == 1
    assert value(done, "portal_agent_tool_calls_total", tool="restart_widget", outcome="error") == 1
    assert value(done, "portal_agent_approved_actions_total", outcome="executed") == 0
    # The process itself, and nothing personal in the labels.
    assert value(done, "process_resident_memory_bytes") > 0
    for private in (thread, restart, "wendy", "tok-", "widget-lab", "deploy widgets"):
        assert private not in text


async def test_slack_acks_are_counted_accepted_then_duplicate(tmp_path):
    api = MockSlack(dict(USERS)).start()
    try:
        service = make_service(tmp_path, api, [AIMessage(content="Hello from the portal.")])
        app = create_app(service, background_indexing=False)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app)
            async with httpx.AsyncClient(transport=transport, base_url="http://portal") as http:
                body = event_body(mention("hello"), event_id="EvACK0001")
                first = await http.post("/slack/events", content=body, headers=signed_headers(body))
                retry = await http.post("/slack/events", content=body, headers=signed_headers(body, retry=1))
                assert first.status_code == retry.status_code == 200
                await api.wait_for("chat.update", where=lambda p: "Hello from the portal" in str(p))
                for _ in range(100):  # the turn's own counters land once it returns
                    samples = _parse((await http.get("/metrics")).text)
                    if value(samples, "portal_agent_turns_total", kind="question", outcome="answered"):
                        break
                    await asyncio.sleep(0.05)
    finally:
        api.stop()
    assert value(samples, "portal_agent_slack_acks_total", kind="event", outcome="accepted") == 1
    assert value(samples, "portal_agent_slack_acks_total", kind="event", outcome="duplicate") == 1
    assert value(samples, "portal_agent_http_requests_total", method="POST", route="/slack/events", status="200") == 2


def _parse(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
