"""LangGraph's own cost per run, before any of portal-agent's work, for each checkpointer.

A graph with one async node that returns a fixed AI message, streamed in the modes the web uses
(``updates`` + ``messages``), each run on a new thread: no model, no tools, no HTTP. It is the
floor under every turn (a question turn runs three nodes: agent, tools, agent), and it explains
why the web bar's "all 200 at once" reading cannot be met on one core: 200 runs of even this
empty graph take the CPU time printed on the "200 at once" line.

    .venv/bin/python benchmarks/graph_floor.py [--runs 300]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Annotated, TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

from benchmarks._common import machine


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
    if kind == "sqlite-inline (ours)":
        from agent.checkpoints import SqliteCheckpointer

        saver = SqliteCheckpointer.open(folder / "inline.sqlite")
        return saver, saver.close
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    conn = await aiosqlite.connect(folder / "aio.sqlite")
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA synchronous=NORMAL")
    return AsyncSqliteSaver(conn), conn.close


async def measure(kind: str, runs: int, folder: Path) -> None:
    saver, close = await checkpointer(kind, folder)
    builder = StateGraph(State)
    builder.add_node("agent", answer)
    builder.add_edge(START, "agent")
    builder.add_edge("agent", END)
    graph = builder.compile(checkpointer=saver)

    async def run() -> None:
        config = {"configurable": {"thread_id": str(uuid.uuid4())}}
        payload = {"messages": [HumanMessage("who owns checkout?")]}
        async for _ in graph.astream(payload, config, stream_mode=["updates", "messages"]):
            pass

    for _ in range(20):
        await run()
    cpu = time.process_time()
    for _ in range(runs):
        await run()
    one = (time.process_time() - cpu) / runs
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(run() for _ in range(200)))
    print(
        f"  {kind:>20}: {one * 1000:.2f} ms CPU per run; 200 at once: {(time.process_time() - cpu) * 1000:.0f} ms "
        f"CPU, {(time.perf_counter() - wall) * 1000:.0f} ms wall"
    )
    if close is not None:
        result = close()
        if asyncio.iscoroutine(result):
            await result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    print(
        f"graph_floor: one-node LangGraph runs, streamed, new thread each "
        f"({machine()}; sqlite {sqlite3.sqlite_version})"
    )
    with tempfile.TemporaryDirectory() as folder:
        for kind in ["none", "memory", "sqlite-inline (ours)", "aiosqlite"]:
            asyncio.run(measure(kind, args.runs, Path(folder)))


if __name__ == "__main__":
    main()
