"""The inline SQLite checkpointer: one saver for sync and async runs, safe on one event loop."""

from __future__ import annotations

import asyncio
import threading

from langchain_core.messages import AIMessage

from agent.checkpoints import SqliteCheckpointer
from agent.service import AgentService
from tests.support.agent import ScriptedModel, call, make_runtime


def answers(*texts: str) -> list[AIMessage]:
    return [AIMessage(content=t) for t in texts]


def test_sync_and_async_turns_share_one_conversation(tmp_path):
    runtime = make_runtime(tmp_path)
    service = AgentService(runtime, model=ScriptedModel(script=answers("first", "second")))
    principal = service.principal("wendy.owner")
    first = service.ask("hello", principal)
    second = asyncio.run(service.aask("and again", principal, thread_id=first.thread_id))
    assert (first.answer, second.answer) == ("first", "second")
    messages = service.graph.get_state(service._config(first.thread_id)).values["messages"]
    assert [m.content for m in messages] == ["hello", "first", "and again", "second"]


def test_checkpoints_persist_in_the_file(tmp_path):
    runtime = make_runtime(tmp_path)
    service = AgentService(runtime, model=ScriptedModel(script=answers("stored")))
    thread = service.ask("keep this", service.principal("wendy.owner")).thread_id
    service.close()
    reopened = SqliteCheckpointer.open(tmp_path / "checkpoints.sqlite")
    saved = reopened.get_tuple({"configurable": {"thread_id": thread}})
    assert [m.content for m in saved.checkpoint["channel_values"]["messages"]] == ["keep this", "stored"]
    reopened.close()


def test_history_can_be_read_while_other_conversations_write(tmp_path):
    """Listing a thread's checkpoints and writing another's, interleaved on one event loop, never blocks.

    The sync saver holds its lock while its ``list`` generator is suspended; the async variant
    reads to the end first. Run in a thread so that a deadlock fails the test instead of hanging it.
    """
    runtime = make_runtime(tmp_path)
    service = AgentService(runtime, model=ScriptedModel(script=answers(*[f"a{i}" for i in range(8)])))
    principal = service.principal("wendy.owner")
    outcome: dict[str, object] = {}

    async def scenario() -> None:
        thread = (await service.aask("first", principal)).thread_id
        await service.aask("second", principal, thread_id=thread)
        seen = 0
        async for _saved in service.graph.checkpointer.alist(service._config(thread)):
            seen += 1
            await service.aask("meanwhile", principal)  # another conversation checkpoints here
        outcome["history"] = seen

    runner = threading.Thread(target=lambda: asyncio.run(scenario()), daemon=True)
    runner.start()
    runner.join(timeout=60)
    assert not runner.is_alive(), "reading history while writing deadlocked the event loop"
    assert outcome["history"] >= 6


def test_read_only_calls_skip_the_gate_and_mutating_calls_pass_it(tmp_path):
    runtime = make_runtime(tmp_path)
    script = [
        call("widget_status", {"name": "widget-api"}),
        AIMessage(content="healthy"),
        call("restart_widget", {"name": "widget-api", "replicas": 2}),
    ]
    service = AgentService(runtime, model=ScriptedModel(script=script))
    principal = service.principal("wendy.owner")

    def updates(text: str, thread: str) -> list[dict]:
        return list(
            service.graph.stream(service._input(text, principal), service._config(thread), stream_mode="updates")
        )

    assert [node for update in updates("status of widget-api", "t1") for node in update] == ["agent", "tools", "agent"]
    restart = updates("restart widget-api", "t2")
    assert [node for update in restart for node in update] == ["agent", "__interrupt__"]
    assert restart[-1]["__interrupt__"][0].value["request"]["tool"] == "restart_widget"
