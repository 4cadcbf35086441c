"""What LangChain's agent-chat-ui sends, pinned: found by running it against ``portal-agent serve``.

agent-chat-ui (``@langchain/langgraph-sdk`` 1.8's ``useStream``) resumes an approval with
``submit({}, {command: {resume: {decisions}}})`` — an empty ``input`` next to the command — and its
stop button only aborts the request, asking for ``on_disconnect: "cancel"``. Its browser calls are
cross-origin with ``X-Api-Key``.
"""

from __future__ import annotations

import time

import httpx

from tests.support.web import ask_body, auth, refused, run


async def _thread(client: httpx.AsyncClient) -> str:
    response = await client.post("/threads", json={"metadata": {"graph_id": "agent"}}, headers=auth("wendy"))
    assert response.status_code == 200, response.text
    return response.json()["thread_id"]


async def test_resume_with_empty_input_next_to_the_command(client):
    thread_id = await _thread(client)
    await run(client, thread_id, ask_body("restart widget-lab", "updates"))
    reject = {"decisions": [{"type": "reject", "message": "not now, demo run"}]}
    both = await refused(
        client, thread_id, {"input": {"messages": [{"role": "user", "content": "hi"}]}, "command": {"resume": reject}}
    )
    assert both.status_code == 422 and "not both" in both.json()["detail"]

    events = await run(client, thread_id, {"input": {}, "command": {"resume": reject}, "stream_mode": "values"})
    last = [d for e, d in events if e == "values"][-1]["messages"]
    assert "not now, demo run" in last[-2]["content"] and "Nothing was restarted" in last[-1]["content"]
    assert events[-1][1]["status"] == "success"


async def test_cross_origin_preflight_allows_the_api_key_header(make_app):
    app = make_app(web_allowed_origins=["http://127.0.0.1:3123"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.options(
            "/threads/search",
            headers={
                "Origin": "http://127.0.0.1:3123",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-api-key",
            },
        )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://127.0.0.1:3123"
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "x-api-key" in allowed and "content-type" in allowed


def _left_early(url: str, thread_id: str, on_disconnect: str | None) -> str:
    """Start the slow run, read its first event, hang up; the run's status once it is over."""
    body = {"assistant_id": "agent", **ask_body("slow report on widgets", ["messages-tuple", "values"])}
    if on_disconnect:
        body["on_disconnect"] = on_disconnect
    with (
        httpx.Client(base_url=url, headers=auth("wendy"), timeout=30) as client,
        client.stream("POST", f"/threads/{thread_id}/runs/stream", json=body) as response,
    ):
        assert response.status_code == 200
        first = next(response.iter_lines())
        assert first == "event: metadata"
        run_id = response.headers["content-location"].rsplit("/", 1)[-1]
    deadline = time.monotonic() + 30
    with httpx.Client(base_url=url, headers=auth("wendy"), timeout=10) as client:
        while time.monotonic() < deadline:
            got = client.get(f"/threads/{thread_id}/runs/{run_id}")
            assert got.status_code == 200, got.text
            status = got.json()["status"]
            if status not in ("pending", "running"):
                return status
            time.sleep(0.1)
    raise AssertionError(f"run {run_id} still running after 30 s")


def test_on_disconnect_cancel_stops_the_run_when_the_client_leaves(live_server):
    server = live_server(web_read_rate_limit_per_minute=0)  # the test polls the runs' status
    with httpx.Client(base_url=server.url, headers=auth("wendy"), timeout=10) as client:
        cancelled, continued = (client.post("/threads", json={}).json()["thread_id"] for _ in range(2))
    assert _left_early(server.url, cancelled, "cancel") == "interrupted"
    assert _left_early(server.url, continued, None) == "success"
