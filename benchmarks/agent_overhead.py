"""Agent overhead per turn with model time excluded (the design's bar: a multiple of
``benchmarks/graph_floor.py``'s floor for the same three steps).

A scripted model that answers instantly drives the real graph (SQLite checkpointer, approval gate
node, tool node with token capping and redaction, audit-free read tools) over the demo catalog:
each turn is one catalog tool call and one answer. What remains is the agent's own cost plus the
catalog tool's. The offline planner's own time per turn is reported separately.

    .venv/bin/python -m benchmarks.agent_overhead [--turns 200]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from agent.runtime import Runtime
from agent.service import AgentService
from benchmarks._common import Figure, machine, main, percentile, summary_ms
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


def run(quick: bool = False, turns: int | None = None) -> list[Figure]:
    turns = turns or (10 if quick else 200)
    with tempfile.TemporaryDirectory() as data:
        runtime = Runtime(Settings(data_dir=Path(data), demo=True))  # every family's tools bound
        service = AgentService(runtime, model=InstantModel())
        principal = service.principal("user:default/guest")
        service.ask("warm-up", principal)
        times, cpu0 = [], time.process_time()
        for _ in range(turns):
            t0 = time.perf_counter()
            service.ask("who owns checkout?", principal)
            times.append(time.perf_counter() - t0)
        turn_cpu = (time.process_time() - cpu0) / turns
        print(
            f"agent overhead per turn, scripted instant model, new thread each turn ({machine()}): "
            f"{summary_ms(times)}; CPU {turn_cpu * 1000:.1f} ms per turn"
        )

        offline = AgentService(Runtime(Settings(data_dir=Path(data) / "offline", demo=True)))
        offline.ask("who owns checkout?", principal)
        planner_times = []
        for question in ["who owns checkout?", "what breaks if orders-db goes down?", "who is on call for search?"]:
            for _ in range(max(1, turns // 10)):
                t0 = time.perf_counter()
                offline.ask(question, principal)
                planner_times.append(time.perf_counter() - t0)
        print(f"whole turn with the offline planner (planner time included): {summary_ms(planner_times)}")
        wall, cpu = asyncio.run(streamed_turns(offline, principal, turns))
        print(
            f"same, async and streamed as the web and Slack run it (tokens + updates): {summary_ms(wall)}; "
            f"CPU {sum(cpu) / len(cpu) * 1000:.1f} ms per turn"
        )
    return [
        Figure("turn p50, instant model", percentile(times, 50) * 1000, "ms"),
        Figure("turn p95, instant model", percentile(times, 95) * 1000, "ms"),
        Figure("turn CPU, instant model", turn_cpu * 1000, "ms"),
        Figure("turn p95, offline planner", percentile(planner_times, 95) * 1000, "ms"),
        Figure("streamed turn p95, offline planner", percentile(wall, 95) * 1000, "ms"),
        Figure("streamed turn CPU, offline planner", sum(cpu) / len(cpu) * 1000, "ms"),
    ]


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


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, help="timed turns (default 200; 10 with --quick)")
    return parser


if __name__ == "__main__":
    main(run, options())
