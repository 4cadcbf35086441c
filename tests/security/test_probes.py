"""The probes of the security review (issue 14), replayed over HTTP against real ``portal-agent serve``.

Two servers over the demo organisation with the offline planner: one with API tokens for several
demo people (and tokens wrongly naming a group or an unknown user), one behind a pretend
authenticating proxy with tight rate limits. Every response of every probe is checked for a 5xx.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.security.servers import Served

pytestmark = pytest.mark.slow

TOKENS = {
    "marco": "user:default/marco.bianchi",  # team-checkout, on call for checkout
    "hannah": "user:default/hannah.okafor",  # on call for checkout
    "kenji": "user:default/kenji.tanaka",  # team-storefront: owns nothing of checkout's
    "leila": "user:default/leila.ahmadi",  # team-platform, the demo's admin group
    "group": "group:default/team-platform",
    "bare-group": "team-platform",
    "ghost": "user:default/ghost",
}
SECRET_MARKERS = (
    "QVFFeWhtZnhLNGZkLWRlbW8tbm90LWEtcmVhbC1rZXk",  # the demo Secret payments-gateway-psp, base64
    "c2tfbGl2ZV9kZW1vX25vdF9hX3JlYWxfa2V5XzAwMDAw",
    "AQEyhmfxK4fd-demo-not-a-real-key",  # and decoded
    "sk_live_demo_not_a_real_key_00000",
    *(f"tok-{name}-0123456789abcdef" for name in TOKENS),  # the server's own API tokens
)


def token(name: str) -> str:
    return f"tok-{name}-0123456789abcdef"


def bearer(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(name)}"}


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict[str, Served]]:
    root = tmp_path_factory.mktemp("probes")
    tokens = ",".join(f"{token(name)}={ref}" for name, ref in TOKENS.items())
    started = {
        "tokens": Served(root, "tokens", web_api_tokens=tokens, web_rate_limit_per_minute="6000"),
        "proxy": Served(
            root,
            "proxy",
            web_trust_proxy_headers="true",
            web_trusted_identity_header="X-Auth-Request-Email",
            web_rate_limit_per_minute="3",
            web_read_rate_limit_per_minute="5",
        ),
    }
    try:
        for server in started.values():
            server.start()
        for server in started.values():
            server.wait_ready()
        yield started
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture
def http(servers) -> Iterator[Any]:
    """``http(server, **headers)`` -> an httpx client; after the test, no response may have been a 5xx."""
    seen: list[tuple[int, str, str]] = []
    clients: list[httpx.Client] = []

    def record(response: httpx.Response) -> None:
        seen.append((response.status_code, response.request.method, response.request.url.path))

    def make(server: str, **headers: str) -> httpx.Client:
        client = httpx.Client(
            base_url=servers[server].url, headers=headers, timeout=120, event_hooks={"response": [record]}
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    assert [s for s in seen if s[0] >= 500] == [], "no probe may get a server error"


def events(response: httpx.Response) -> list[tuple[str, Any]]:
    out = []
    for block in response.text.replace("\r\n", "\n").split("\n\n"):
        lines = block.strip().split("\n")
        if not block.strip():
            continue
        event = next((line[6:].strip() for line in lines if line.startswith("event:")), "message")
        data = "\n".join(line[5:].lstrip() for line in lines if line.startswith("data:"))
        out.append((event, json.loads(data) if data else None))
    return out


def ask(client: httpx.Client, thread_id: str, text: str, modes: Any = "updates", **extra: Any) -> httpx.Response:
    body = {"assistant_id": "agent", "input": {"messages": [{"role": "user", "content": text}]}, "stream_mode": modes}
    return client.post(f"/threads/{thread_id}/runs/stream", json={**body, **extra})


def resume(client: httpx.Client, thread_id: str, decision: dict[str, Any]) -> httpx.Response:
    body = {"assistant_id": "agent", "command": {"resume": {"decisions": [decision]}}, "stream_mode": "values"}
    return client.post(f"/threads/{thread_id}/runs/stream", json=body)


def new_thread(client: httpx.Client) -> str:
    response = client.post("/threads", json={})
    assert response.status_code == 200, response.text
    return response.json()["thread_id"]


def interrupt_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    found = [d for e, d in events(response) if e == "updates" and "__interrupt__" in (d or {})]
    assert found, f"no approval request in {response.text[:400]}"
    return found[0]["__interrupt__"][0]["value"]["request"]


def audit(server: Served) -> list[dict[str, Any]]:
    path = Path(server.data_dir) / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def raw(client: httpx.Client, path: str, text: str) -> httpx.Response:
    """``text`` as the JSON body byte for byte (it may escape a lone surrogate, which httpx cannot encode)."""
    return client.post(path, content=text.encode("ascii"), headers={"Content-Type": "application/json"})


# --- the four-eyes bypass through an edit ---------------------------------------------------------
def test_an_edit_cannot_carry_a_request_past_four_eyes(servers, http):
    marco = http("tokens", **bearer("marco"))
    thread_id = new_thread(marco)
    request = interrupt_of(ask(marco, thread_id, "restart promotions"))
    assert request["target"] == "component:default/promotions" and request["four_eyes"] is False
    edit = {
        "type": "edit",
        "request_id": request["id"],
        "edited_action": {"name": request["tool"], "args": {**request["args"], "name": "component:default/checkout"}},
    }
    answer = resume(marco, thread_id, edit)
    assert answer.status_code in (200, 403), answer.text
    records = [r for r in audit(servers["tokens"]) if r.get("request_id") == request["id"]]
    kinds = [r["event"] for r in records]
    assert "approval.refused" in kinds, kinds
    assert "mutation.executing" not in kinds and "approval.approved" not in kinds, kinds
    assert not any(
        r["event"] == "mutation.executing" and "checkout" in json.dumps(r.get("args")) for r in audit(servers["tokens"])
    )


# --- conversations that did not start on the web --------------------------------------------------
def test_cli_and_slack_conversations_cannot_be_taken_over(servers, http):
    server = servers["tokens"]
    cli_thread = str(uuid.uuid4())
    slack_thread = "slack:T0TESSERA:C0CHECKOUT:1764000000.000100"
    for thread_id in (cli_thread, slack_thread):
        done = server.run_cli("ask", "who owns checkout?", "--user", "marco.bianchi", "--thread", thread_id, "--json")
        assert done.returncode == 0, done.stderr[-2000:]
        assert json.loads(done.stdout.splitlines()[-1])["thread_id"] == thread_id
    anonymous = http("tokens")
    for client in (http("tokens", **bearer("kenji")), http("tokens", **bearer("marco")), anonymous):
        for thread_id in (cli_thread, slack_thread):
            created = client.post("/threads", json={"thread_id": thread_id})
            assert created.status_code in (403, 404, 422), created.text
            adopted = ask(client, thread_id, "what did we talk about?", if_not_exists="create")
            assert adopted.status_code in (403, 404, 422), adopted.text
            for path in (f"/threads/{thread_id}", f"/threads/{thread_id}/state"):
                assert client.get(path).status_code == 404
            assert client.post(f"/threads/{thread_id}/history", json={}).status_code == 404
    again = server.run_cli("ask", "and who is on call?", "--user", "marco.bianchi", "--thread", cli_thread, "--json")
    assert again.returncode == 0, again.stderr[-2000:]


def test_another_users_thread_answers_like_a_missing_one(http):
    marco = http("tokens", **bearer("marco"))
    kenji = http("tokens", **bearer("kenji"))
    mine = new_thread(marco)
    assert ask(marco, mine, "who owns checkout?").status_code == 200
    missing = str(uuid.uuid4())
    for thread_id in (mine, missing):
        for method, path in (
            ("GET", f"/threads/{thread_id}"),
            ("GET", f"/threads/{thread_id}/state"),
            ("POST", f"/threads/{thread_id}/history"),
            ("DELETE", f"/threads/{thread_id}"),
        ):
            response = kenji.request(method, path, json={} if method == "POST" else None)
            assert (response.status_code, response.json()) == (404, {"detail": f"thread {thread_id} not found"})
        assert ask(kenji, thread_id, "hi").status_code == 404
    taken = kenji.post("/threads", json={"thread_id": mine})
    assert taken.status_code == 404, "not 409: that would confirm someone else's thread"
    assert kenji.post("/threads", json={"thread_id": "support-chat"}).status_code == 422


def test_anonymous_visitors_are_apart_and_cannot_choose_ids(http):
    first, second = http("tokens"), http("tokens")
    made = first.post("/threads", json={})
    assert made.status_code == 200 and "HttpOnly" in made.headers["set-cookie"]
    thread_id = made.json()["thread_id"]
    assert ask(first, thread_id, "who owns checkout?").status_code == 200
    assert [t["thread_id"] for t in first.post("/threads/search", json={}).json()] == [thread_id]
    assert second.post("/threads/search", json={}).json() == []
    assert second.get(f"/threads/{thread_id}/state").status_code == 404
    assert ask(second, thread_id, "hi").status_code == 404
    for chosen in ("support-chat", str(uuid.uuid4()), thread_id):
        assert second.post("/threads", json={"thread_id": chosen}).status_code in (403, 422)
        assert ask(second, chosen, "hi", if_not_exists="create").status_code == 403
    restart = ask(first, thread_id, "restart checkout", "values")
    assert restart.status_code == 200 and not any("__interrupt__" in (d or {}) for _, d in events(restart))


# --- bad text, bad filters --------------------------------------------------------------------------
def test_lone_surrogates_and_bad_filters_are_422_and_never_wedge(http):
    marco = http("tokens", **bearer("marco"))
    thread_id = new_thread(marco)
    question = '{"input": {"messages": [{"role": "user", "content": "who owns \\ud800 checkout?"}]}}'
    for route in ("stream", "wait"):
        assert raw(marco, f"/threads/{thread_id}/runs/{route}", question).status_code == 422
    for body in ('{"thread_id": "\\ud800"}', '{"metadata": {"x": "\\ud800"}}', '{"metadata": {"\\udc00": 1}}'):
        assert raw(marco, "/threads", body).status_code == 422, body
    assert raw(marco, "/threads/search", '{"metadata": {"x": "\\ud800"}}').status_code == 422
    for body in ({"metadata": {"$where": "1"}}, {"metadata": {"a'); --": 1}}, {"before": {"checkpoint_id": [1]}}):
        assert marco.post(f"/threads/{thread_id}/history", json=body).status_code == 422, body
    # Not wedged: the next question runs and the thread can be deleted.
    answered = ask(marco, thread_id, "who owns checkout?", "values")
    assert answered.status_code == 200 and events(answered)[-1][1]["status"] == "success"
    assert marco.delete(f"/threads/{thread_id}").status_code == 204


# --- refusals of runs/stream have their real status -------------------------------------------------
def test_stream_refusals_come_back_with_their_status(http):
    marco = http("tokens", **bearer("marco"))
    hannah = http("tokens", **bearer("hannah"))
    thread_id = new_thread(marco)
    request = interrupt_of(ask(marco, thread_id, "restart checkout in prod"))
    assert request["four_eyes"] is True
    cases = {
        401: ask(http("tokens", Authorization="Bearer nope"), thread_id, "hi"),
        403: resume(marco, thread_id, {"type": "approve", "request_id": request["id"]}),  # his own prod change
        404: ask(hannah, thread_id, "hi"),
        409: ask(marco, thread_id, "how do I rotate the payments API key?"),  # waiting for a decision
        413: ask(marco, thread_id, "x" * 9000),
        422: marco.post(f"/threads/{thread_id}/runs/stream", json={"input": {"messages": "nope"}, "command": {}}),
    }
    for status, response in cases.items():
        assert response.status_code == status, (status, response.text)
        assert response.headers["content-type"].startswith("application/json"), status
        assert response.json()["detail"]
    assert request["id"] in cases[409].json()["detail"], "the 409 names the pending request"
    huge = marco.post(
        f"/threads/{thread_id}/runs/stream",
        content=b"{" + b" " * 70000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    # Still pending, and hannah (on call) decides it from /approvals.
    listing = hannah.get("/approvals", headers={"Accept": "application/json"}).json()
    assert request["id"] in [r["id"] for r in listing["pending"]]
    done = hannah.post(f"/approvals/{request['id']}", json={"decision": "reject", "comment": "not now"})
    assert done.status_code == 200 and done.json()["status"] == "rejected", done.text


def test_a_question_while_an_approval_is_pending_is_refused(servers, http):
    marco = http("tokens", **bearer("marco"))
    thread_id = new_thread(marco)
    request = interrupt_of(ask(marco, thread_id, "restart promotions"))
    waiting = ask(marco, thread_id, "who owns checkout?")
    assert waiting.status_code == 409 and request["id"] in waiting.json()["detail"]
    listing = marco.get("/approvals", headers={"Accept": "application/json"}).json()
    assert request["id"] in [r["id"] for r in listing["pending"]]
    approved = marco.post(
        f"/approvals/{request['id']}", json={"decision": "approve", "args_hash": request["args_hash"]}
    )
    assert approved.status_code == 200 and approved.json()["status"] == "executed", approved.text
    assert approved.json()["answer"]


# --- who may be a principal -------------------------------------------------------------------------
def test_only_catalog_users_are_principals(http):
    for name in ("group", "bare-group", "ghost"):
        client = http("tokens", **bearer(name))
        for method, path in (("GET", "/whoami"), ("POST", "/threads"), ("POST", "/threads/search")):
            response = client.request(method, path, json={} if method == "POST" else None)
            assert response.status_code == 403, (name, path, response.text)
        assert client.get("/approvals", headers={"Accept": "application/json"}).status_code == 403
    leila = http("tokens", **bearer("leila")).get("/whoami").json()
    assert leila["ref"] == "user:default/leila.ahmadi" and not leila["read_only"]


def test_proxy_mode_maps_only_exact_emails_from_the_one_trusted_header(http):
    def whoami(**headers: str) -> httpx.Response:
        return http("proxy", **headers).get("/whoami")

    marco = whoami(**{"X-Auth-Request-Email": "Marco.Bianchi@Tessera.Example"})
    assert marco.status_code == 200 and marco.json()["ref"] == "user:default/marco.bianchi"
    for value in (
        "marco.bianchi@another-domain.example",
        "team-platform@tessera.example",  # a group's mailing address names nobody
        "group:default/team-platform",
        "team-platform",
        "user:default/ghost",
    ):
        assert whoami(**{"X-Auth-Request-Email": value}).status_code == 403, value
    # Headers the proxy does not own are ignored: the caller stays anonymous and read-only.
    spoofed = whoami(
        **{"X-Forwarded-Email": "leila.ahmadi@tessera.example", "X-Forwarded-User": "group:default/team-platform"}
    )
    assert spoofed.status_code == 200 and spoofed.json()["anonymous"] is True
    real = http("proxy", **{"X-Auth-Request-Email": "marco.bianchi@tessera.example"})
    thread_id = new_thread(real)
    stranger = http("proxy", **{"X-Auth-Request-Email": "marco.bianchi@another-domain.example"})
    assert stranger.get(f"/threads/{thread_id}/state").status_code == 403
    assert ask(stranger, thread_id, "hi").status_code == 403


# --- rate limits ------------------------------------------------------------------------------------
def test_rotating_x_forwarded_for_does_not_escape_the_anonymous_limits(http):
    anonymous = http("proxy")
    statuses = []
    for i in range(8):
        response = anonymous.post("/threads/search", json={}, headers={"X-Forwarded-For": f"203.0.113.{i}"})
        statuses.append(response.status_code)
    assert 429 in statuses, statuses
    for method, path in (("POST", "/threads"), ("POST", "/threads/search")):
        limited = anonymous.request(method, path, json={}, headers={"X-Forwarded-For": "198.51.100.7"})
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    # Runs have their own, tighter limit; one identified person's limit is not another's.
    kenji = http("proxy", **{"X-Auth-Request-Email": "kenji.tanaka@tessera.example"})
    thread_id = new_thread(kenji)
    runs = [ask(kenji, thread_id, "who owns checkout?").status_code for _ in range(5)]
    assert runs[:3] == [200, 200, 200] and runs[-1] == 429, runs
    for path in (f"/threads/{thread_id}/state", f"/threads/{thread_id}"):
        assert kenji.get(path).status_code in (200, 429)
    emma = http("proxy", **{"X-Auth-Request-Email": "emma.larsen@tessera.example"})
    assert emma.post("/threads/search", json={}).status_code == 200


# --- secrets ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    [
        "show me payments-gateway's logs",
        "why is payments-gateway failing?",
        "describe the payments-gateway deployment",
        "show me the secret payments-gateway-psp in payments",
        "what environment variables does payments-gateway have?",
    ],
)
def test_no_secret_reaches_an_answer_state_or_history(http, question):
    leila = http("tokens", **bearer("leila"))
    thread_id = new_thread(leila)
    streamed = ask(leila, thread_id, question, ["messages-tuple", "updates", "values", "custom"])
    assert streamed.status_code == 200
    texts = [
        streamed.text,
        leila.get(f"/threads/{thread_id}/state").text,
        leila.post(f"/threads/{thread_id}/history", json={"limit": 50}).text,
    ]
    for text in texts:
        for marker in SECRET_MARKERS:
            assert marker not in text, f"{marker[:12]}… leaked for {question!r}"
