"""Replicas sharing PostgreSQL: 200 simultaneous new questions against 1 and 2 worker processes.

Each worker is ``portal-agent serve``'s web app (the demo organisation, offline planner, rate
limits off) in a process of its own with its own data directory; with
``PORTAL_AGENT_DATABASE_URL`` they share one throwaway PostgreSQL cluster (Debian's server
binaries, as in the tests: ``tests/support/postgres.py``). The client (``benchmarks.web_load``'s
aiohttp client) sends every conversation's question at the same instant, spread round-robin over
the workers, each worker with its own client session (its visitor cookie). Printed:

- p95 time to first token and questions per second with 1 and 2 workers, and their ratio;
- server CPU per question (all workers' utime + stime from /proc) on PostgreSQL and, with one
  worker, on the default SQLite, so the database's own cost per question shows.

    .venv/bin/python -m benchmarks.replicas [--conversations 200]

``--quick``: 10 conversations. The machine's load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import ROOT, Figure, main, percentile
from benchmarks.web_load import QUESTIONS, Results, client, conversation, serve, server_cpu_seconds


def start_worker(data_dir: Path, database_url: str | None) -> tuple[subprocess.Popen, str]:
    import socket

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("PORTAL_AGENT_DATABASE_URL", None)
    if database_url:
        env["PORTAL_AGENT_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "benchmarks.replicas", "--serve", str(port), "--data-dir", str(data_dir)]
    proc = subprocess.Popen(command, env=env, cwd=str(ROOT))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        try:
            ready = httpx.get(url + "/readyz", timeout=2)
            docs = ready.json().get("docs_index") if ready.status_code == 200 else {"building": True}
            if not (docs or {}).get("building"):
                return proc, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.terminate()
            raise SystemExit("a worker did not become ready")
        time.sleep(0.3)


async def burst(urls: list[str], conversations: int) -> Results:
    sessions = [client(url, conversations) for url in urls]
    try:
        for session in sessions:
            await conversation(session, QUESTIONS[0])  # warm-up, per worker
        began = time.perf_counter()
        turns = await asyncio.gather(
            *(conversation(sessions[i % len(sessions)], QUESTIONS[i % len(QUESTIONS)]) for i in range(conversations))
        )
        return Results(list(turns), time.perf_counter() - began)
    finally:
        for session in sessions:
            await session.close()


def measure(workers: int, database_url: str | None, conversations: int, key: str) -> tuple[list[Figure], float]:
    with tempfile.TemporaryDirectory(prefix="bench-replicas-") as tmp:
        procs = [start_worker(Path(tmp) / f"worker-{n}", database_url) for n in range(workers)]
        try:
            cpu = sum(server_cpu_seconds(p.pid) for p, _ in procs)
            results = asyncio.run(burst([url for _, url in procs], conversations))
            cpu = sum(server_cpu_seconds(p.pid) for p, _ in procs) - cpu
        finally:
            for proc, _ in procs:
                proc.terminate()
                proc.wait(timeout=30)
    ok = len(results.turns) - len(results.errors)
    p95 = percentile(results.ttft_ms, 95)
    rate = ok / results.wall if results.wall else float("nan")
    cpu_ms = cpu * 1000 / max(len(results.turns), 1)
    print(
        f"  {key}: {len(results.turns)} questions, first token p95 {p95:.0f} ms, {rate:.1f} questions/s, "
        f"errors {len(results.errors)}, server CPU {cpu_ms:.1f} ms per question; load {os.getloadavg()[0]:.1f}"
    )
    for error in sorted(set(results.errors))[:3]:
        print(f"    e.g. {error}")
    figures = [
        Figure(f"first token p95, {key}", p95, "ms"),
        Figure(f"throughput, {key}", rate, "questions/s"),
        Figure(f"errors, {key}", len(results.errors), "questions"),
        Figure(f"server CPU per question, {key}", cpu_ms, "ms"),
    ]
    return figures, rate


def run(quick: bool = False, conversations: int | None = None) -> list[Figure]:
    from tests.support.postgres import PostgresServer, _bin_dir

    conversations = conversations or (10 if quick else 200)
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    server = PostgresServer(bin_dir)
    server.start()
    try:
        figures, one = measure(1, server.create_database(), conversations, "1 worker, PostgreSQL")
        more, two = measure(2, server.create_database(), conversations, "2 workers, PostgreSQL")
        sqlite, _ = measure(1, None, conversations, "1 worker, SQLite")
    finally:
        server.stop()
    ratio = two / one if one else float("nan")
    print(f"  scaling 1 → 2 workers: {ratio:.2f}× questions/s (the machine has {os.cpu_count()} cores)")
    return [*figures, *more, *sqlite, Figure("scaling ratio, 2 vs 1 workers", ratio, "×")]


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int)
    return parser


if __name__ == "__main__":
    if "--serve" in sys.argv:
        worker = argparse.ArgumentParser()
        worker.add_argument("--serve", type=int, required=True)
        worker.add_argument("--data-dir", required=True)
        args = worker.parse_args()
        serve(args.serve, args.data_dir)
    else:
        main(run, options())
