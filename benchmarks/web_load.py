"""Web chat under load: 200 concurrent streaming conversations, first-token latency and throughput.

Load shapes, each printed with its figures:

- ``floor``: the same client and burst against an app that answers every run with one canned SSE
  token and does no work: what HTTP, SSE and the client themselves cost on this machine;
- ``burst``: all conversations send their question at the same instant (the worst case: the last
  one waits for the CPU time of the ones before it);
- ``paced``: the conversations are open at the same time like 200 people chatting: each starts
  within ``--ramp`` seconds and asks ``--turns`` questions on its thread, reading each answer and
  thinking 5–15 s before the next (``--think``);
- ``rate``: questions arriving steadily at each of ``--rates`` per second for ``--seconds``,
  spread over the conversations: the throughput the server sustains.

Measured once the background docs indexing that `serve` starts has finished (it embeds the docs
and would otherwise be counted as turn CPU). Also printed: the server process's CPU time per turn
(from /proc), which does not depend on how busy the rest of the machine is, and the machine's
load average, which does.

Two processes on loopback, as in production where the browser is remote:

- the app: ``portal-agent serve``'s app (uvicorn + :func:`connectors.web.app.create_app`) over the
  demo organisation with the offline planner, in a fresh data dir, rate limits off;
- this script, an aiohttp client (httpx's own CPU at 200 simultaneous streams, ≈ 300 ms, would be
  measured as server latency): after a warm-up conversation, each conversation creates a thread
  (``POST /threads``) and streams a catalog question (``POST /threads/{id}/runs/stream``, stream
  mode ``messages-tuple``). Time to first token is measured from sending the run request to the
  first SSE ``messages`` event carrying answer text; a conversation is an error unless it gets an
  HTTP 200, answer text and ``event: end`` with status ``success``.

    .venv/bin/python -m benchmarks.web_load [--shape floor|burst|paced|rate|all] [--conversations 200]

``--quick``: one burst of 10 conversations.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._common import ROOT, Figure, machine, main, percentile

QUESTIONS = [
    "who owns checkout?",
    "who is the owner of the payments service?",
    "who maintains the search api?",
    "who owns orders-db?",
]


# --- servers ----------------------------------------------------------------------------------------
def serve(port: int, data_dir: str) -> None:

    from agent.runtime import Runtime
    from agent.service import AgentService
    from connectors.web.app import create_app
    from contract.settings import Settings

    settings = Settings(
        data_dir=Path(data_dir), demo=True, web_rate_limit_per_minute=0, web_read_rate_limit_per_minute=0
    )
    run_uvicorn(create_app(AgentService(Runtime(settings))), port)


def serve_floor(port: int) -> None:
    """The same two endpoints doing no work: one canned token per run."""
    import uuid

    from fastapi import FastAPI
    from fastapi.responses import StreamingResponse

    app = FastAPI()
    token = json.dumps([{"type": "AIMessageChunk", "content": "checkout is owned by team-checkout"}, {}])

    @app.get("/readyz")
    async def ready() -> dict:
        return {"ok": True}

    @app.post("/threads")
    async def new_thread() -> dict:
        return {"thread_id": str(uuid.uuid4())}

    @app.post("/threads/{thread_id}/runs/stream")
    async def run(thread_id: str, body: dict) -> StreamingResponse:
        async def events():
            yield f'event: metadata\ndata: {{"run_id": "{uuid.uuid4()}"}}\n\n'
            yield f"event: messages\ndata: {token}\n\n"
            yield 'event: end\ndata: {"status": "success"}\n\n'

        return StreamingResponse(events(), media_type="text/event-stream")

    run_uvicorn(app, port)


def run_uvicorn(app, port: int) -> None:
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", backlog=2048, timeout_keep_alive=75)


# --- the client ---------------------------------------------------------------------------------------
@dataclass
class Turn:
    first: float | None = None  # seconds to the first answer token
    total: float = 0.0
    error: str | None = None


@dataclass
class Results:
    turns: list[Turn] = field(default_factory=list)
    wall: float = 0.0

    @property
    def ttft_ms(self) -> list[float]:
        return [t.first * 1000 for t in self.turns if t.error is None and t.first is not None]

    @property
    def errors(self) -> list[str]:
        return [t.error for t in self.turns if t.error is not None]


async def new_thread(session) -> str:
    async with session.post("/threads", json={}) as response:
        return (await response.json())["thread_id"]


async def conversation(session, question: str, thread: str | None = None) -> Turn:
    """One streamed question (on a new thread by default)."""
    import aiohttp

    turn = Turn()
    start = time.perf_counter()
    try:
        thread = thread or await new_thread(session)
        body = {
            "assistant_id": "agent",
            "input": {"messages": [{"role": "user", "content": question}]},
            "stream_mode": ["messages-tuple"],
        }
        start = time.perf_counter()
        status = None
        async with session.post(f"/threads/{thread}/runs/stream", json=body) as response:
            if response.status != 200:
                turn.error = f"HTTP {response.status}"
                return turn
            event = None
            async for raw in response.content:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = json.loads(line[5:])
                    if event == "messages" and turn.first is None and _is_answer_text(data):
                        turn.first = time.perf_counter() - start
                    elif event == "end":
                        status = data.get("status")
                    elif event == "error":
                        turn.error = f"error event: {data.get('message')}"
        if turn.error is None and turn.first is None:
            turn.error = "no answer text"
        elif turn.error is None and status != "success":
            turn.error = f"end status {status}"
    except (TimeoutError, aiohttp.ClientError) as exc:
        turn.error = f"{type(exc).__name__}: {exc}"
    turn.total = time.perf_counter() - start
    return turn


def _is_answer_text(data) -> bool:
    return isinstance(data, list) and data[0].get("type") == "AIMessageChunk" and bool(data[0].get("content"))


def client(url: str, conversations: int):
    import aiohttp

    connector = aiohttp.TCPConnector(limit=conversations + 10)
    # The server gives an anonymous visitor its identity in a cookie, and only the visitor who created
    # a thread may run on it; aiohttp keeps cookies set by an IP address (127.0.0.1) only when unsafe.
    jar = aiohttp.CookieJar(unsafe=True)
    return aiohttp.ClientSession(url, connector=connector, cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=120))


async def burst(url: str, conversations: int) -> Results:
    async with client(url, conversations) as session:
        await conversation(session, QUESTIONS[0])  # warm-up
        began = time.perf_counter()
        turns = await asyncio.gather(
            *(conversation(session, QUESTIONS[i % len(QUESTIONS)]) for i in range(conversations))
        )
        return Results(list(turns), time.perf_counter() - began)


async def paced(url: str, conversations: int, turns: int, ramp: float, think: tuple[float, float]) -> Results:
    rng = random.Random(7)
    async with client(url, conversations) as session:
        await conversation(session, QUESTIONS[0])  # warm-up

        async def person(i: int) -> list[Turn]:
            await asyncio.sleep(rng.uniform(0, ramp))
            thread = await new_thread(session)
            out = []
            for turn in range(turns):
                out.append(await conversation(session, QUESTIONS[(i + turn) % len(QUESTIONS)], thread))
                await asyncio.sleep(rng.uniform(*think))
            return out

        began = time.perf_counter()
        people = await asyncio.gather(*(person(i) for i in range(conversations)))
        return Results([t for person_turns in people for t in person_turns], time.perf_counter() - began)


async def steady(url: str, conversations: int, rate: float, seconds: float) -> Results:
    """Questions at ``rate`` per second (Poisson arrivals), each on one of the open conversations."""
    rng = random.Random(11)
    async with client(url, conversations) as session:
        await conversation(session, QUESTIONS[0])  # warm-up
        threads = await asyncio.gather(*(new_thread(session) for _ in range(conversations)))
        idle = asyncio.Queue()
        for thread in threads:
            idle.put_nowait(thread)

        async def ask(i: int) -> Turn:
            thread = await idle.get()  # one question at a time per conversation
            try:
                return await conversation(session, QUESTIONS[i % len(QUESTIONS)], thread)
            finally:
                idle.put_nowait(thread)

        began = time.perf_counter()
        tasks, at = [], 0.0
        while at < seconds:
            await asyncio.sleep(max(0.0, began + at - time.perf_counter()))
            tasks.append(asyncio.create_task(ask(len(tasks))))
            at += rng.expovariate(rate)
        return Results(list(await asyncio.gather(*tasks)), time.perf_counter() - began)


# --- reporting ----------------------------------------------------------------------------------------
def server_cpu_seconds(pid: int) -> float:
    """utime + stime of the server process (all its threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def report(label: str, key: str, results: Results, cpu_seconds: float) -> list[Figure]:
    ms = results.ttft_ms
    total_ms = [t.total * 1000 for t in results.turns if t.error is None]
    errors = results.errors
    p95 = percentile(ms, 95)
    turns = len(results.turns)
    print(
        f"  {label}: turns={turns} first token p50={percentile(ms, 50):.0f} ms p95={p95:.0f} ms "
        f"max={max(ms, default=float('nan')):.0f} ms; full answer p95={percentile(total_ms, 95):.0f} ms; "
        f"errors={len(errors)}; wall {results.wall:.1f} s"
    )
    for error in sorted(set(errors))[:3]:
        print(f"    e.g. {error}")
    cpu_ms = cpu_seconds * 1000 / max(turns, 1)
    print(f"    server CPU {cpu_ms:.1f} ms per turn; load average now {os.getloadavg()[0]:.1f}")
    return [
        Figure(f"first token p95, {key}", p95, "ms"),
        Figure(f"throughput, {key}", (turns - len(errors)) / results.wall if results.wall else float("nan"), "turns/s"),
        Figure(f"errors, {key}", len(errors), "turns"),
        Figure(f"server CPU per turn, {key}", cpu_ms, "ms"),
    ]


def start_server(args: list[str]) -> tuple[subprocess.Popen, str]:
    import socket

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.web_load", "--serve", str(port), *args], env=env, cwd=str(ROOT)
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.terminate()
            raise SystemExit("the server did not become ready")
        time.sleep(0.2)
    # The docs index is built in a background thread after start-up: its embedding work is CPU
    # this process spends while turns run, so turns are measured once it is done.
    began = time.monotonic()
    while True:
        docs = httpx.get(url + "/readyz", timeout=5).json().get("docs_index")
        if not docs or not docs.get("building") or time.monotonic() > deadline + 300:
            break
        time.sleep(0.5)
    if docs:
        print(
            f"  background docs indexing finished {time.monotonic() - began:.1f} s after readiness; measuring after it"
        )
    return server, url


def measure(server: subprocess.Popen, label: str, key: str, load) -> list[Figure]:
    cpu = server_cpu_seconds(server.pid)
    results = asyncio.run(load)
    return report(label, key, results, server_cpu_seconds(server.pid) - cpu)


def run(
    quick: bool = False,
    shape: str | None = None,
    conversations: int | None = None,
    rounds: int | None = None,
    turns: int = 3,
    ramp: float = 5.0,
    think: tuple[float, float] = (5.0, 15.0),
    rates: list[float] | None = None,
    seconds: float = 10.0,
) -> list[Figure]:
    shape = shape or ("burst" if quick else "all")
    n = conversations or (10 if quick else 200)
    rounds = rounds or (1 if quick else 2)
    rates = rates or [25, 50, 75, 100]
    shapes = {"floor", "burst", "paced", "rate"} if shape == "all" else {shape}
    print(
        f"web_load: {n} concurrent streaming conversations, offline model, demo org; {machine()}; "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    figures: list[Figure] = []
    if "floor" in shapes:
        server, url = start_server(["--floor-app"])
        try:
            for round_no in range(1, rounds + 1):
                label = f"floor (no-op app, same client) burst round {round_no}"
                figures += measure(server, label, f"floor burst {round_no}", burst(url, n))
        finally:
            server.terminate()
            server.wait(timeout=30)
    if shapes - {"floor"}:
        with tempfile.TemporaryDirectory() as data_dir:
            server, url = start_server(["--data-dir", data_dir])
            try:
                if "burst" in shapes:
                    for round_no in range(1, rounds + 1):
                        label = f"burst round {round_no}"
                        figures += measure(server, label, f"burst {round_no}", burst(url, n))
                if "paced" in shapes:
                    label = (
                        f"paced ({turns} turns each, start within {ramp:.0f} s, think {think[0]:.0f}-{think[1]:.0f} s)"
                    )
                    figures += measure(server, label, "paced", paced(url, n, turns, ramp, tuple(think)))
                if "rate" in shapes:
                    for rate in rates:
                        label = f"steady {rate:.0f} questions/s over {n} conversations for {seconds:.0f} s"
                        figures += measure(server, label, f"{rate:.0f} questions/s", steady(url, n, rate, seconds))
            finally:
                server.terminate()
                server.wait(timeout=30)
    return figures


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", choices=["floor", "burst", "paced", "rate", "all"], help="default all (burst quick)")
    parser.add_argument("--conversations", type=int, help="default 200 (10 with --quick)")
    parser.add_argument("--rounds", type=int, help="burst rounds (default 2; 1 with --quick)")
    parser.add_argument("--turns", type=int, default=3, help="questions per paced conversation")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds over which paced conversations start")
    parser.add_argument("--think", type=float, nargs=2, default=[5.0, 15.0], help="think time range, seconds")
    parser.add_argument("--rates", type=float, nargs="+", help="questions per second (default 25 50 75 100)")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each rate")
    return parser


def child(argv: list[str]) -> None:
    """The app (or the no-op floor app) in a process of its own (``start_server``)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", type=int, required=True)
    parser.add_argument("--data-dir")
    parser.add_argument("--floor-app", action="store_true")
    args = parser.parse_args(argv)
    serve_floor(args.serve) if args.floor_app else serve(args.serve, args.data_dir)


if __name__ == "__main__":
    if "--serve" in sys.argv:
        child(sys.argv[1:])
    else:
        main(run, options())
