"""The official ``langgraph-sdk`` client, unchanged, against a real server on loopback."""

from __future__ import annotations

import pytest

from tests.support.agent import executions
from tests.support.web import DOC_URL

langgraph_sdk = pytest.importorskip("langgraph_sdk")


async def collect(parts) -> list[tuple[str, object]]:
    return [(part.event, part.data) async for part in parts]


async def test_sdk_thread_stream_interrupt_resume_history(live_server):
    server = live_server()
    client = langgraph_sdk.get_client(url=server.url, api_key="tok-wendy")
    thread = await client.threads.create(metadata={"purpose": "sdk test"})
    thread_id = thread["thread_id"]

    # A question, streamed token by token.
    parts = await collect(
        client.runs.stream(
            thread_id,
            "agent",
            input={"messages": [{"role": "human", "content": "how do I deploy widgets?"}]},
            stream_mode=["messages-tuple", "values"],
        )
    )
    assert parts[0][0] == "metadata" and parts[-1][0] == "end"
    chunks = [
        data[0]["content"] for event, data in parts if event == "messages" and data[0]["type"] == "AIMessageChunk"
    ]
    assert len([c for c in chunks if c]) > 3 and "widgetctl deploy" in "".join(chunks)
    tool = next(data[0] for event, data in parts if event == "messages" and data[0]["type"] == "tool")
    assert tool["artifact"]["citations"][0]["url"] == DOC_URL

    # A change: the run stops at the approval gate with a HITL request.
    parts = await collect(
        client.runs.stream(
            thread_id,
            "agent",
            input={"messages": [{"role": "human", "content": "restart widget-lab"}]},
            stream_mode=["updates", "values"],
        )
    )
    interrupts = [data["__interrupt__"] for event, data in parts if event == "updates" and "__interrupt__" in data]
    value = interrupts[0][0]["value"]
    assert value["action_requests"][0]["name"] == "restart_widget"
    assert value["request"]["target"] == "component:default/widget-lab"
    state = await client.threads.get_state(thread_id)
    assert state["next"] == ["approval"] and state["interrupts"][0]["value"]["request"]["id"] == value["request"]["id"]
    assert (await client.threads.get(thread_id))["status"] == "interrupted"
    assert executions(server.app.state.web.service.runtime) == []

    # Resume with the agent-chat-ui HITL response.
    parts = await collect(
        client.runs.stream(
            thread_id, "agent", command={"resume": {"decisions": [{"type": "approve"}]}}, stream_mode="values"
        )
    )
    final = [data for event, data in parts if event == "values"][-1]
    assert final["messages"][-1]["content"] == "Restarted **widget-lab** with 2 replicas."
    assert len(executions(server.app.state.web.service.runtime)) == 1

    # History, newest first, and the thread list.
    history = await client.threads.get_history(thread_id, limit=50)
    assert history[0]["values"]["messages"][-1]["content"].startswith("Restarted")
    assert any(h["next"] == ["approval"] for h in history)
    found = await client.threads.search(metadata={"purpose": "sdk test"})
    assert [t["thread_id"] for t in found] == [thread_id]
    assert (await client.assistants.get("agent"))["graph_id"] == "agent"


async def test_sdk_unauthorized_resume_is_a_403(live_server):
    server = live_server()
    wendy = langgraph_sdk.get_client(url=server.url, api_key="tok-wendy")
    thread_id = (await wendy.threads.create())["thread_id"]
    await collect(
        wendy.runs.stream(
            thread_id,
            "agent",
            input={"messages": [{"role": "human", "content": "restart widget-api"}]},
            stream_mode="updates",
        )
    )
    from langgraph_sdk.errors import AuthenticationError, NotFoundError, PermissionDeniedError

    with pytest.raises(PermissionDeniedError, match="requester may not approve"):
        await collect(wendy.runs.stream(thread_id, "agent", command={"resume": {"decisions": [{"type": "approve"}]}}))
    state = await wendy.threads.get_state(thread_id)
    assert state["interrupts"], "the request is still pending"
    # An unknown token is a 401 from the client's point of view.
    stranger = langgraph_sdk.get_client(url=server.url, api_key="nope")

    with pytest.raises(AuthenticationError, match="invalid API token"):
        await stranger.threads.create()
    # Someone else's thread does not exist for them.
    oscar = langgraph_sdk.get_client(url=server.url, api_key="tok-oscar")
    with pytest.raises(NotFoundError):
        await oscar.threads.get_state(thread_id)
