"""LangGraph's own cost per run, before any of portal-agent's work, for each checkpointer.

A graph with one async node that returns a fixed AI message, streamed in the modes the web uses
(``updates`` + ``messages``), each run on a new thread: no model, no tools, no HTTP. It is the
floor under every turn (a question turn runs three nodes: agent, tools, agent), and it explains
why the web bar's "all 200 at once" reading cannot be met on one core: 200 runs of even this
empty graph take the CPU time printed on the "200 at once" line. The same graph with three nodes
in a row (a question turn's agent, tools, agent) over our checkpointer is the floor the agent's
overhead per turn is compared with (``benchmarks/agent_overhead.py``).

    .venv/bin/python -m benchmarks.graph_floor [--runs 300]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path
from typing import Annotated, TypedDict

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

from benchmarks._common import Figure, machine, main

OURS = "sqlite-inline (ours)"


class State(TypedDict):
    messages: Annotated[list, add_messages]


async def answer(state: State) -> dict:
    return {"messages": [AIMessage(content="checkout is owned by team-checkout")]}


async def checkpointer(kind: str, folder: Path):
    """The saver and a function closing it."""
    if kind == "none":
        return None, None
    if kind == "memory":
        from langgraph.checkpoint.memory import InMemorySaver

        return InMemorySaver(), None
    if kind == OURS:
        from agent.checkpoints import SqliteCheckpointer

        saver = SqliteCheckpointer.open(folder / "inline.sqlite")
        return saver, saver.close
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    conn = await aiosqlite.connect(folder / "aio.sqlite")
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA synchronous=NORMAL")
    return AsyncSqliteSaver(conn), conn.close


async def measure(kind: str, runs: int, folder: Path, nodes: int = 1, at_once: int = 200) -> list[Figure]:
    """CPU per run, and CPU and wall time of ``at_once`` runs started together, of a chain of ``nodes``."""
    saver, close = await checkpointer(kind, folder)
    builder = StateGraph(State)
    names = [f"node{i}" for i in range(nodes)]
    for name in names:
        builder.add_node(name, answer)
    for before, after in zip([START, *names], [*names, END], strict=True):
        builder.add_edge(before, after)
    graph = builder.compile(checkpointer=saver)

    async def run_once() -> None:
        config = {"configurable": {"thread_id": str(uuid.uuid4())}}
        payload = {"messages": [HumanMessage("who owns checkout?")]}
        async for _ in graph.astream(payload, config, stream_mode=["updates", "messages"]):
            pass

    for _ in range(20):
        await run_once()
    cpu = time.process_time()
    for _ in range(runs):
        await run_once()
    one = (time.process_time() - cpu) / runs
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(run_once() for _ in range(at_once)))
    burst_cpu, burst_wall = time.process_time() - cpu, time.perf_counter() - wall
    label = f"{kind}, {nodes} node{'s' if nodes > 1 else ''}"
    print(
        f"  {label:>28}: {one * 1000:.2f} ms CPU per run; {at_once} at once: {burst_cpu * 1000:.0f} ms "
        f"CPU, {burst_wall * 1000:.0f} ms wall"
    )
    if close is not None:
        result = close()
        if asyncio.iscoroutine(result):
            await result
    return [
        Figure(f"run CPU, {label}", one * 1000, "ms"),
        Figure(f"{at_once} at once CPU, {label}", burst_cpu * 1000, "ms"),
        Figure(f"{at_once} at once wall, {label}", burst_wall * 1000, "ms"),
    ]


def run(quick: bool = False, runs: int | None = None) -> list[Figure]:
    runs, at_once = (runs or 20, 20) if quick else (runs or 300, 200)
    print(
        f"graph_floor: one-node LangGraph runs, streamed, new thread each "
        f"({machine()}; sqlite {sqlite3.sqlite_version})"
    )
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        for kind in ["none", "memory", OURS, "aiosqlite"]:
            figures += asyncio.run(measure(kind, runs, Path(folder), at_once=at_once))
        figures += asyncio.run(measure(OURS, runs, Path(folder), nodes=3, at_once=at_once))
    return figures


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, help="timed runs per checkpointer (default 300; 20 with --quick)")
    return parser


if __name__ == "__main__":
    main(run, options())
