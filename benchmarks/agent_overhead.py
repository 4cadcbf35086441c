"""Agent overhead per turn with model time excluded (bar: p95 ≤ 25 ms).

A scripted model that answers instantly drives the real graph (SQLite checkpointer, approval gate
node, tool node with token capping and redaction, audit-free read tools) over the demo catalog:
each turn is one catalog tool call and one answer. What remains is the agent's own cost plus the
catalog tool's. The offline planner's own time per turn is reported separately.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import machine, summary_ms

from agent.runtime import Runtime
from agent.service import AgentService
from contract.settings import Settings


class InstantModel(BaseChatModel):
    """Alternates: a catalog_owner call, then a fixed answer. Costs ~nothing."""

    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "instant"

    def bind_tools(self, tools, **kwargs):
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.calls += 1
        if self.calls % 2:
            message = AIMessage(
                content="",
                tool_calls=[
                    {
                        "name": "catalog_owner",
                        "args": {"ref": "component:default/checkout"},
                        "id": f"c{self.calls}",
                        "type": "tool_call",
                    }
                ],
            )
        else:
            message = AIMessage(content="team-checkout owns checkout.")
        return ChatResult(generations=[ChatGeneration(message=message)])


def main(turns: int = 200) -> None:
    with tempfile.TemporaryDirectory() as data:
        runtime = Runtime(Settings(data_dir=Path(data), demo=True))  # every family's tools bound
        service = AgentService(runtime, model=InstantModel())
        principal = service.principal("user:default/guest")
        service.ask("warm-up", principal)
        times = []
        for _ in range(turns):
            t0 = time.perf_counter()
            service.ask("who owns checkout?", principal)
            times.append(time.perf_counter() - t0)
        print(
            f"agent overhead per turn, scripted instant model, new thread each turn ({machine()}): "
            f"{summary_ms(times)} (bar p95 ≤ 25 ms)"
        )

        offline = AgentService(Runtime(Settings(data_dir=Path(data) / "offline", demo=True)))
        offline.ask("who owns checkout?", principal)
        planner_times = []
        for question in ["who owns checkout?", "what breaks if orders-db goes down?", "who is on call for search?"]:
            for _ in range(20):
                t0 = time.perf_counter()
                offline.ask(question, principal)
                planner_times.append(time.perf_counter() - t0)
        print(f"whole turn with the offline planner (planner time included): {summary_ms(planner_times)}")
        wall, cpu = asyncio.run(streamed_turns(offline, principal, 200))
        print(
            f"same, async and streamed as the web and Slack run it (tokens + updates): {summary_ms(wall)}; "
            f"CPU {sum(cpu) / len(cpu) * 1000:.1f} ms per turn"
        )


async def streamed_turns(service: AgentService, principal, turns: int) -> tuple[list[float], list[float]]:
    questions = ["who owns checkout?", "what breaks if orders-db goes down?", "who is on call for search?"]
    wall, cpu = [], []
    for i in range(turns + 3):
        t0, c0 = time.perf_counter(), time.process_time()
        payload = service._input(questions[i % len(questions)], principal)
        async for _ in service.astream(payload, str(uuid.uuid4()), stream_mode=["messages", "updates"]):
            pass
        if i >= 3:  # the first of each question warms caches
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    return wall, cpu


if __name__ == "__main__":
    main()
