"""End to end over the demo organisation: a production restart requested and approved on the web."""

from __future__ import annotations

import httpx
import pytest

from agent.runtime import Runtime
from agent.service import AgentService
from connectors.web.app import create_app
from contract.settings import Settings
from tests.support.web import ask_body, parse_sse

pytestmark = pytest.mark.slow

TOKENS = ["tok-marco=user:default/marco.bianchi", "tok-hannah=user:default/hannah.okafor"]


async def test_demo_restart_needs_a_second_person_and_then_runs(tmp_path):
    service = AgentService(Runtime(Settings(data_dir=tmp_path, demo=True, web_api_tokens=TOKENS)))
    if "k8s_rollout_restart" not in service.runtime.tools:
        pytest.skip("the kubernetes family with its mutating tools is not available")
    # No docs indexing thread: it would still be embedding when the test process exits.
    app = create_app(service, background_indexing=False)
    marco = {"Authorization": "Bearer tok-marco"}
    hannah = {"Authorization": "Bearer tok-hannah"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", timeout=60) as client,
    ):
        thread_id = (await client.post("/threads", json={}, headers=marco)).json()["thread_id"]
        response = await client.post(
            f"/threads/{thread_id}/runs/stream",
            json=ask_body("restart checkout in prod", ["updates", "custom"]),
            headers=marco,
        )
        events = parse_sse(response.text)
        value = next(d for e, d in events if e == "updates" and "__interrupt__" in d)["__interrupt__"][0]["value"]
        request = value["request"]
        assert request["tool"] == "k8s_rollout_restart" and request["target"] == "component:default/checkout"
        assert request["four_eyes"] is True and value["action_requests"][0]["name"] == "k8s_rollout_restart"

        # The requester may not approve a production change himself: 403, still pending.
        response = await client.post(
            f"/threads/{thread_id}/runs/stream",
            headers=marco,
            json={"command": {"resume": {"decisions": [{"type": "approve"}]}}},
        )
        assert response.status_code == 403 and "requester may not approve" in response.json()["detail"]
        assert service.gate.store.status(request["id"]) == "pending"

        # Hannah, on call for checkout, sees it at /approvals and approves it there.
        listing = (await client.get("/approvals", headers={**hannah, "Accept": "application/json"})).json()
        assert request["id"] in [r["id"] for r in listing["pending"]]
        done = await client.post(
            f"/approvals/{request['id']}",
            headers=hannah,
            json={"decision": "approve", "args_hash": request["args_hash"]},
        )
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "executed", done.json()
        assert "rollout restart of Deployment commerce/checkout" in done.json()["answer"]
        state = (await client.get(f"/threads/{thread_id}/state", headers=marco)).json()
        assert state["interrupts"] == [] and state["values"]["messages"][-1]["type"] == "ai"
