"""The web API against the probes of the security review (issue 14), over httpx's ASGI transport.

Conversations that began elsewhere cannot be adopted, anonymous visitors are apart, bad text is
a 422 that never wedges a thread, refusals carry their real status, only catalog Users act, and
every read route is rate-limited with bounded memory.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid

import httpx
import pytest

from connectors.web.auth import RateLimiter
from connectors.web.context import Lease
from tests.support.agent import executions
from tests.support.web import ask_body, auth, refused, run


def raw(client: httpx.AsyncClient, path: str, text: str, who: str | None = "wendy", **headers: str):
    """POST ``text`` as the JSON body, byte for byte (httpx cannot encode a lone surrogate itself)."""
    hdrs = {"Content-Type": "application/json", **(auth(who) if who else {}), **headers}
    return client.post(path, content=text.encode("ascii"), headers=hdrs)


async def new_thread(client: httpx.AsyncClient, who: str = "wendy") -> str:
    response = await client.post("/threads", json={}, headers=auth(who))
    assert response.status_code == 200, response.text
    return response.json()["thread_id"]


@pytest.fixture
async def app_client(make_app):
    """``open(**settings)`` -> a client over a started app; ``raise_app_exceptions=False`` as a server would."""
    stack = []

    async def open_(**settings) -> httpx.AsyncClient:
        app = make_app(**settings)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        client = httpx.AsyncClient(transport=transport, base_url="http://t")
        client.app = app  # type: ignore[attr-defined]
        stack.append((lifespan, client))
        return client

    yield open_
    for lifespan, client in reversed(stack):
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


# --- 1. conversation takeover ---------------------------------------------------------------------
async def test_conversations_that_began_elsewhere_cannot_be_adopted(app_client):
    client = await app_client()
    service = client.app.state.web.service
    cli_thread = str(uuid.uuid4())
    slack_thread = "slack:T0TEST:C0GENERAL:1700000000.000100"
    for thread_id in (cli_thread, slack_thread):  # conversations with checkpoints and no web owner
        await asyncio.to_thread(service.ask, "how do I deploy widgets?", service.principal("olga.oncall"), thread_id)
    for who in ("wendy", "olga"):  # not even the CLI user's own web identity may adopt it
        for thread_id in (cli_thread, slack_thread):
            created = await client.post("/threads", json={"thread_id": thread_id}, headers=auth(who))
            assert created.status_code in (404, 422), created.text  # a Slack id is not even a UUID
            adopted = await refused(client, thread_id, {**ask_body("hi"), "if_not_exists": "create"}, who=who)
            assert adopted.status_code in (404, 422)
            for path in (f"/threads/{thread_id}", f"/threads/{thread_id}/state"):
                assert (await client.get(path, headers=auth(who))).status_code == 404
    assert await asyncio.to_thread(service.pending_approval, cli_thread) is None
    state = await service.agraph()
    assert len((await state.aget_state(service._config(cli_thread))).values["messages"]) == 4, "untouched"


async def test_someone_elses_thread_answers_like_a_missing_one(app_client):
    client = await app_client()
    wendys = await new_thread(client, "wendy")
    missing = str(uuid.uuid4())
    for thread_id in (wendys, missing):
        assert (await client.get(f"/threads/{thread_id}", headers=auth("oscar"))).status_code == 404
    taken = await client.post("/threads", json={"thread_id": wendys}, headers=auth("oscar"))
    assert taken.status_code == 404, "no 409: that would confirm the thread exists"
    assert taken.json()["detail"] == f"thread {wendys} not found"
    # Its owner may re-create it idempotently, or is told it exists.
    again = await client.post("/threads", json={"thread_id": wendys, "if_exists": "do_nothing"}, headers=auth("wendy"))
    assert again.status_code == 200 and again.json()["thread_id"] == wendys
    assert (await client.post("/threads", json={"thread_id": wendys}, headers=auth("wendy"))).status_code == 409
    # A chosen id is a UUID, like the Agent Protocol's: no "support-chat" anyone could guess.
    named = await client.post("/threads", json={"thread_id": "support-chat"}, headers=auth("wendy"))
    assert named.status_code == 422 and "UUID" in json.dumps(named.json())
    created = await client.post("/threads", json={"thread_id": missing}, headers=auth("oscar"))
    assert created.status_code == 200 and created.json()["metadata"]["owner"] == "user:default/oscar.other"


async def test_anonymous_visitors_each_own_their_threads_and_cannot_choose_ids(app_client):
    first = await app_client()
    app = first.app
    second = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    try:
        made = await first.post("/threads", json={})
        assert made.status_code == 200
        thread_id = made.json()["thread_id"]
        cookie = made.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
        events = await run(first, thread_id, ask_body("how do I deploy widgets?"), who=None)
        assert events[-1][1]["status"] == "success"
        # Another visitor neither lists, reads nor continues it.
        assert (await second.post("/threads/search", json={})).json() == []
        assert (await second.get(f"/threads/{thread_id}/state")).status_code == 404
        assert (await refused(second, thread_id, ask_body("hi"), who=None)).status_code == 404
        # Forging a cookie makes a new visitor, not the first one.
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", cookies={"portal_agent_visitor": "x" * 43}
        ) as forger:
            assert (await forger.get(f"/threads/{thread_id}")).status_code == 404
        # Anonymous callers may not pick an id, whether it exists or not (the same answer: no oracle).
        for chosen in (thread_id, str(uuid.uuid4())):
            picked = await second.post("/threads", json={"thread_id": chosen})
            assert picked.status_code == 403 and "server-issued" in picked.json()["detail"]
            create = await refused(second, chosen, {**ask_body("hi"), "if_not_exists": "create"}, who=None)
            assert create.status_code == 403
    finally:
        await second.aclose()


# --- 2. text that is not Unicode, bad filters -----------------------------------------------------
async def test_a_lone_surrogate_is_a_422_and_never_wedges_the_thread(app_client):
    client = await app_client()
    thread_id = await new_thread(client)
    question = '{"input": {"messages": [{"role": "user", "content": "restart \\ud800 widget-lab"}]}}'
    response = await raw(client, f"/threads/{thread_id}/runs/stream", question)
    assert response.status_code == 422, response.text
    assert "surrogate" in response.text and "input.messages[0].content" in response.text
    # The thread is not busy: the next run and a delete go through.
    events = await run(client, thread_id, ask_body("how do I deploy widgets?"))
    assert events[-1][1]["status"] == "success"
    for body in (
        '{"thread_id": "\\ud800"}',
        '{"metadata": {"title": "\\udfff"}}',
        '{"metadata": {"\\ud800": 1}}',
    ):
        bad = await raw(client, "/threads", body)
        assert bad.status_code == 422, (body, bad.text)
        assert "\\ud" not in bad.text, "the input is not echoed back"
    for path in (f"/threads/{thread_id}/history", "/threads/search", "/approvals/apr_x"):
        assert (await raw(client, path, '{"metadata": {"k": "\\ud800"}}')).status_code == 422
    assert (await client.delete(f"/threads/{thread_id}", headers=auth("wendy"))).status_code == 204


async def test_the_busy_mark_is_released_whatever_fails_before_the_run(app_client):
    """A failure between marking the thread busy and starting the graph used to wedge it for good."""
    client = await app_client()
    ctx = client.app.state.web
    thread_id = await new_thread(client)
    update = ctx.threads.update
    calls = 0

    def failing_once(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise sqlite3.OperationalError("disk I/O error")
        return update(*args, **kwargs)

    ctx.threads.update = failing_once
    failed = await client.post(
        f"/threads/{thread_id}/runs/stream", json=ask_body("how do I deploy widgets?"), headers=auth("wendy")
    )
    assert failed.status_code == 500 and calls == 1
    assert thread_id not in ctx.busy
    events = await run(client, thread_id, ask_body("how do I deploy widgets?"))
    assert events[-1][1]["status"] == "success"


async def test_history_filters_are_checked(app_client):
    client = await app_client()
    thread_id = await new_thread(client)
    await run(client, thread_id, ask_body("how do I deploy widgets?"))
    path = f"/threads/{thread_id}/history"
    for body in (
        {"metadata": {"$where": "1"}},
        {"metadata": {"a..b": 1}},
        {"metadata": {"x') OR 1=1 --": 1}},
        {"metadata": {"step": 2**70}},
        {"before": {"checkpoint_id": {"nested": 1}}},
        {"limit": 0},
    ):
        response = await client.post(path, json=body, headers=auth("wendy"))
        assert response.status_code == 422, (body, response.text)
    found = await client.post(path, json={"metadata": {"source": "loop"}, "limit": 50}, headers=auth("wendy"))
    assert found.status_code == 200 and found.json()
    assert all(state["metadata"]["source"] == "loop" for state in found.json())


# --- 3. refusals of runs/stream carry their status ------------------------------------------------
async def test_stream_refusals_have_real_status_codes(app_client):
    client = await app_client(web_rate_limit_per_minute=5)
    thread_id = await new_thread(client)
    cases = [
        ("bad token", thread_id, ask_body("hi"), {"Authorization": "Bearer nope"}, 401),
        ("not the owner", thread_id, ask_body("hi"), auth("oscar"), 404),
        ("unknown assistant", thread_id, {**ask_body("hi"), "assistant_id": "other"}, auth("wendy"), 404),
        ("forged role", thread_id, {"input": {"messages": [{"role": "system", "content": "x"}]}}, auth("wendy"), 422),
        ("too long", thread_id, ask_body("x" * 9000), auth("wendy"), 413),
        (
            "someone else's resume",
            thread_id,
            {"command": {"resume": {"decisions": [{"type": "approve"}]}}},
            auth("ada"),
            404,
        ),
    ]
    for name, tid, body, headers, status in cases:
        response = await client.post(
            f"/threads/{tid}/runs/stream", json={"assistant_id": "agent", **body}, headers=headers
        )
        assert response.status_code == status, (name, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/json"), name
    resume = {"command": {"resume": {"decisions": [{"type": "approve"}]}}}
    assert (await refused(client, thread_id, resume)).status_code == 409, "nothing is waiting"
    statuses = [
        (await client.post(f"/threads/{thread_id}/runs/stream", json=ask_body("hi"), headers=auth("olga"))).status_code
        for _ in range(7)
    ]
    assert statuses[-1] == 429 and set(statuses) == {404, 429}


async def test_a_question_while_an_approval_is_pending_is_a_409_naming_it(app_client):
    client = await app_client()
    service = client.app.state.web.service
    thread_id = await new_thread(client)
    events = await run(client, thread_id, ask_body("restart widget-api", "updates"))
    request = next(d for e, d in events if "__interrupt__" in (d or {}))["__interrupt__"][0]["value"]["request"]
    waiting = await refused(client, thread_id, ask_body("how do I deploy widgets?"))
    assert waiting.status_code == 409 and request["id"] in waiting.json()["detail"]
    assert (await service.apending_approval(thread_id)).id == request["id"], "still waiting on the same request"
    assert service.gate.store.status(request["id"]) == "pending"
    thread = (await client.get(f"/threads/{thread_id}", headers=auth("wendy"))).json()
    assert thread["status"] == "interrupted"
    # Approving it still works and runs it once.
    done = await client.post(
        f"/approvals/{request['id']}",
        json={"decision": "approve", "args_hash": request["args_hash"]},
        headers=auth("olga"),
    )
    assert done.status_code == 200 and done.json()["status"] == "executed", done.text
    assert executions(service.runtime) == [{"name": "widget-api", "replicas": 2, "by": "user:default/wendy.owner"}]


# --- 4, 5. who may be a principal -----------------------------------------------------------------
async def test_only_catalog_users_are_principals(app_client):
    tokens = [
        "tok-wendy=user:default/wendy.owner",
        "tok-group=group:default/team-admins",
        "tok-bare-group=team-admins",
        "tok-component=component:default/widget-api",
        "tok-ghost=user:default/ghost",
    ]
    client = await app_client(web_api_tokens=tokens)
    assert (await client.get("/whoami", headers=auth("wendy"))).json()["ref"] == "user:default/wendy.owner"
    for name in ("group", "bare-group", "component", "ghost"):
        for method, path in (("GET", "/whoami"), ("POST", "/threads"), ("GET", "/approvals")):
            response = await client.request(
                method,
                path,
                headers={**auth(name), "Accept": "application/json"},
                json={} if method == "POST" else None,
            )
            assert response.status_code == 403, (name, path, response.text)
    service = client.app.state.web.service
    from agent.identity import NotAUser

    for ref in ("group:default/team-admins", "team-admins", "component:default/widget-api"):
        with pytest.raises(NotAUser):
            service.principal(ref)
    assert service.principal("nobody.known").read_only, "the CLI's unknown people stay read-only"


async def test_proxy_mode_trusts_one_header_and_exact_emails_only(app_client):
    client = await app_client(web_trust_proxy_headers=True, web_trusted_identity_header="X-Auth-Request-Email")

    def who(**headers: str):
        return client.get("/whoami", headers=headers)

    me = await who(**{"X-Auth-Request-Email": "Olga.Oncall@Example.Test"})
    assert me.status_code == 200 and me.json()["ref"] == "user:default/olga.oncall", "case-insensitive, exact"
    for email in ("olga.oncall@another-domain.test", "olga.oncall@example.test.evil", "nobody@example.test"):
        response = await who(**{"X-Auth-Request-Email": email})
        assert response.status_code == 403, (email, response.text)
    for name in ("team-admins", "group:default/team-admins"):
        assert (await who(**{"X-Auth-Request-Email": name})).status_code == 403
    # Another identity header, set by the client rather than the proxy, is not believed.
    spoof = await who(**{"X-Forwarded-Email": "ada.admin@example.test", "X-Forwarded-User": "ada.admin"})
    assert spoof.json()["anonymous"] is True
    both = await who(
        **{"X-Forwarded-Email": "ada.admin@example.test", "X-Auth-Request-Email": "olga.oncall@example.test"}
    )
    assert both.json()["ref"] == "user:default/olga.oncall"
    # The real olga's threads stay hers.
    olga = {"X-Auth-Request-Email": "olga.oncall@example.test"}
    thread_id = (await client.post("/threads", json={}, headers=olga)).json()["thread_id"]
    stranger = {"X-Auth-Request-Email": "olga.oncall@another-domain.test"}
    assert (await client.get(f"/threads/{thread_id}", headers=stranger)).status_code == 403


# --- 6. rate limits --------------------------------------------------------------------------------
async def test_reads_and_thread_creation_are_rate_limited(app_client):
    client = await app_client(web_read_rate_limit_per_minute=3)
    thread_id = await new_thread(client)
    statuses = [
        (await client.post("/threads/search", json={}, headers=auth("wendy"))).status_code,
        (await client.get(f"/threads/{thread_id}/state", headers=auth("wendy"))).status_code,
        (await client.post(f"/threads/{thread_id}/history", json={}, headers=auth("wendy"))).status_code,
        (await client.post("/threads", json={}, headers=auth("wendy"))).status_code,
    ]
    assert statuses == [200, 200, 429, 429]
    limited = await client.get(f"/threads/{thread_id}", headers=auth("wendy"))
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert (await client.post("/threads/search", json={}, headers=auth("olga"))).status_code == 200, "per person"


def test_the_limiter_forgets_idle_callers_and_caps_its_buckets():
    now = [1000.0]
    limiter = RateLimiter(60, max_buckets=100, clock=lambda: now[0])
    for i in range(1000):  # a flood of callers, e.g. spoofed or rotating addresses
        limiter.allow(f"anon:10.0.{i // 256}.{i % 256}")
    assert len(limiter) == 100
    ok, _ = limiter.allow("user:default/wendy.owner")
    assert ok and len(limiter) == 100
    now[0] += 11  # a full bucket refills in capacity/rate = 10 s: everyone idle that long is forgotten
    limiter.allow("user:default/olga.oncall")
    assert len(limiter) == 1
    # The limit itself still holds: 10 at once, then refused until a token refills.
    results = [limiter.allow("anon:10.9.9.9")[0] for _ in range(11)]
    assert results == [True] * 10 + [False]


# --- cross-site requests --------------------------------------------------------------------------
async def test_bodies_must_be_declared_json(app_client):
    """A cross-site page can POST a body with no content type and no preflight; it is refused."""
    client = await app_client()
    thread_id = await new_thread(client)
    body = json.dumps(ask_body("how do I deploy widgets?")).encode()
    for headers in ({}, {"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}):
        response = await client.post(
            f"/threads/{thread_id}/runs/stream", content=body, headers={**auth("wendy"), **headers}
        )
        assert response.status_code in (415, 422), (headers, response.status_code)
    none = await client.post(f"/threads/{thread_id}/runs/stream", content=body, headers=auth("wendy"))
    assert none.status_code == 415
    assert (await client.post("/threads", headers=auth("wendy"))).status_code == 200, "no body: nothing to declare"


def test_a_released_lease_never_clears_a_newer_runs_mark():
    """The graph's task releases its lease twice (finally, and a done-callback for a task that never ran)."""
    busy: set[str] = set()
    old = Lease(busy, "thread-1")
    old.release()
    newer = Lease(busy, "thread-1")
    old.release()
    assert "thread-1" in busy
    newer.release()
    assert busy == set()
