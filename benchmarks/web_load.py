"""Web chat under load (bar: 200 concurrent streaming conversations, p95 first token ≤ 300 ms, no errors).

Two load shapes, both printed:

- ``burst``: all conversations send their question at the same instant (the worst case: the
  last one waits for the CPU time of the 199 before it);
- ``paced``: the conversations are open at the same time like 200 people chatting: each starts
  within ``--ramp`` seconds and asks ``--turns`` questions on its thread, reading each answer and
  thinking 5–15 s before the next (--think).

Measured once the background docs indexing that `serve` starts has finished (it embeds the docs
and would otherwise be counted as turn CPU). Also printed: the server process's CPU time per turn
(from /proc), which does not depend on how busy the rest of the machine is, and the machine's
load average, which does.

Two processes on loopback, as in production where the browser is remote:

- the app: ``portal-agent serve``'s app (uvicorn + :func:`connectors.web.app.create_app`) over the
  demo organisation with the offline planner, in a fresh data dir, rate limits off;
- this script: after a warm-up conversation, ``--conversations`` clients at once each create a
  thread (``POST /threads``) and stream a catalog question (``POST /threads/{id}/runs/stream``,
  stream mode ``messages-tuple``). Time to first token is measured from sending the run request to
  the first SSE ``messages`` event carrying answer text; a conversation is an error unless it
  gets an HTTP 200, answer text and ``event: end`` with status ``success``.

    .venv/bin/python benchmarks/web_load.py [--conversations 200] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import machine, percentile  # noqa: E402

QUESTIONS = [
    "who owns checkout?",
    "who is the owner of the payments service?",
    "who maintains the search api?",
    "who owns orders-db?",
]


def serve(port: int, data_dir: str) -> None:
    import uvicorn

    from agent.config import Settings
    from agent.runtime import Runtime
    from agent.service import AgentService
    from connectors.web.app import create_app

    settings = Settings(data_dir=Path(data_dir), demo=True, web_rate_limit_per_minute=0)
    uvicorn.run(
        create_app(AgentService(Runtime(settings))),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        backlog=2048,
        timeout_keep_alive=75,
    )


async def new_thread(client) -> str:
    return (await client.post("/threads", json={})).json()["thread_id"]


async def conversation(client, question: str, thread: str | None = None) -> tuple[float | None, str | None, float]:
    """(time to first token, error, total time) for one streamed question (on a new thread by default)."""
    import httpx

    try:
        thread = thread or await new_thread(client)
        body = {
            "assistant_id": "agent",
            "input": {"messages": [{"role": "user", "content": question}]},
            "stream_mode": ["messages-tuple"],
        }
        start = time.perf_counter()
        first = None
        status = None
        async with client.stream("POST", f"/threads/{thread}/runs/stream", json=body) as response:
            if response.status_code != 200:
                return None, f"HTTP {response.status_code}", time.perf_counter() - start
            event = None
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = json.loads(line[5:])
                    if (
                        event == "messages"
                        and first is None
                        and data[0].get("type") == "AIMessageChunk"
                        and data[0].get("content")
                    ):
                        first = time.perf_counter() - start
                    elif event == "end":
                        status = data.get("status")
                    elif event == "error":
                        return first, f"error event: {data.get('message')}", time.perf_counter() - start
        total = time.perf_counter() - start
        if first is None:
            return None, "no answer text", total
        if status != "success":
            return first, f"end status {status}", total
        return first, None, total
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}", 0.0


async def load(url: str, conversations: int) -> tuple[list[float], list[str], float, list[float]]:
    import httpx

    limits = httpx.Limits(max_connections=conversations + 10, max_keepalive_connections=conversations + 10)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        await conversation(client, QUESTIONS[0])  # warm-up
        began = time.perf_counter()
        results = await asyncio.gather(
            *(conversation(client, QUESTIONS[i % len(QUESTIONS)]) for i in range(conversations))
        )
        wall = time.perf_counter() - began
    ttft = [r[0] for r in results if r[0] is not None and r[1] is None]
    errors = [r[1] for r in results if r[1] is not None]
    totals = [r[2] for r in results if r[1] is None]
    return ttft, errors, wall, totals


async def paced(url: str, conversations: int, turns: int, ramp: float, think: tuple[float, float], seed: int = 7):
    import random

    import httpx

    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=conversations + 10, max_keepalive_connections=conversations + 10)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        await conversation(client, QUESTIONS[0])  # warm-up

        async def person(i: int):
            await asyncio.sleep(rng.uniform(0, ramp))
            thread = await new_thread(client)
            out = []
            for turn in range(turns):
                out.append(await conversation(client, QUESTIONS[(i + turn) % len(QUESTIONS)], thread))
                await asyncio.sleep(rng.uniform(*think))
            return out

        began = time.perf_counter()
        results = [
            r
            for person_results in await asyncio.gather(*(person(i) for i in range(conversations)))
            for r in person_results
        ]
        wall = time.perf_counter() - began
    ttft = [r[0] for r in results if r[0] is not None and r[1] is None]
    errors = [r[1] for r in results if r[1] is not None]
    totals = [r[2] for r in results if r[1] is None]
    return ttft, errors, wall, totals


def server_cpu_seconds(pid: int) -> float:
    """utime + stime of the server process (all its threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def report(label: str, ttft: list[float], errors: list[str], wall: float, totals: list[float]) -> bool:
    ms = [t * 1000 for t in ttft]
    total_ms = [t * 1000 for t in totals]
    p95 = percentile(ms, 95)
    ok = p95 <= 300 and not errors
    print(
        f"  {label}: turns={len(ttft) + len(errors)} first token p50={percentile(ms, 50):.0f} ms "
        f"p95={p95:.0f} ms max={max(ms, default=float('nan')):.0f} ms; full answer p95="
        f"{percentile(total_ms, 95):.0f} ms; errors={len(errors)}; wall {wall:.1f} s -> "
        f"{'PASS' if ok else 'FAIL'} (bar p95 ≤ 300 ms, 0 errors)"
    )
    for error in sorted(set(errors))[:3]:
        print(f"    e.g. {error}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1, help="burst rounds")
    parser.add_argument("--turns", type=int, default=3, help="questions per paced conversation")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds over which paced conversations start")
    parser.add_argument("--think", type=float, nargs=2, default=[5.0, 15.0], help="think time range, seconds")
    parser.add_argument("--shape", choices=["burst", "paced", "both"], default="both")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.data_dir)
        return

    import socket

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), "--data-dir", data_dir], env=env, cwd=str(ROOT)
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not become ready")
                time.sleep(0.2)
            # The docs index is built in a background thread after start-up: its embedding work is
            # CPU this process spends while turns run, so turns are measured once it is done.
            began = time.monotonic()
            while True:
                docs = httpx.get(url + "/readyz", timeout=5).json().get("docs_index") or {}
                if not docs.get("building") or time.monotonic() > deadline + 300:
                    break
                time.sleep(0.5)
            print(
                f"web_load: background docs indexing finished {time.monotonic() - began:.1f} s after readiness "
                f"(status {docs or 'n/a'}); measuring after it"
            )
            print(
                f"web_load: {args.conversations} concurrent streaming conversations, offline model, demo org; "
                f"{machine()}; load average {os.getloadavg()[0]:.1f} at start"
            )
            if args.shape in ("burst", "both"):
                for round_no in range(1, args.rounds + 1):
                    cpu = server_cpu_seconds(server.pid)
                    results = asyncio.run(load(url, args.conversations))
                    cpu = server_cpu_seconds(server.pid) - cpu
                    report(f"burst round {round_no}", *results)
                    print(
                        f"    server CPU {cpu * 1000 / (args.conversations + 1):.1f} ms per turn "
                        f"(thread + streamed run); load average now {os.getloadavg()[0]:.1f}"
                    )
            if args.shape in ("paced", "both"):
                cpu = server_cpu_seconds(server.pid)
                results = asyncio.run(paced(url, args.conversations, args.turns, args.ramp, tuple(args.think)))
                cpu = server_cpu_seconds(server.pid) - cpu
                report(
                    f"paced ({args.turns} turns each, start within {args.ramp:.0f} s, think "
                    f"{args.think[0]:.0f}-{args.think[1]:.0f} s)",
                    *results,
                )
                turns = args.conversations * args.turns + 1
                print(f"    server CPU {cpu * 1000 / turns:.1f} ms per turn; load average now {os.getloadavg()[0]:.1f}")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
