"""Slack acknowledgement latency under concurrent events, and every event answered exactly once.

Three processes, as in production where Slack is remote:

- a local Slack Web API stand-in (``tests/support/mock_slack.py``) that records the app's calls;
- the app: uvicorn + the FastAPI route ``POST /slack/events`` (signature verification on),
  answering with the offline planner over the demo organisation;
- this script, the "Slack" side: after a warm-up event it POSTs ``--events`` signed
  ``app_mention`` events at once (plus 10 retried deliveries of the same events), measures each
  HTTP response (the ack) while the answers of earlier events are still being produced, waits
  until every event has been answered, and checks each was answered exactly once.

    .venv/bin/python -m benchmarks.slack_ack [--events 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import ROOT, Figure, main

QUESTIONS = [
    "who owns checkout?",
    "who owns payments?",
    "who owns search?",
    "what does orders-db do?",
    "who is on call for checkout?",
    "what depends on payments?",
    "who owns the storefront?",
    "which team owns fulfilment?",
]
EMAIL = "priya.raman@tessera.example"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# --- child processes ---------------------------------------------------------------------------------
def run_mock(users: int) -> None:
    from tests.support.mock_slack import MockSlack

    api = MockSlack(
        {f"U{i:04d}": {"id": f"U{i:04d}", "name": f"user{i}", "profile": {"email": EMAIL}} for i in range(users)}
    ).start()
    print(api.api_url, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    api.stop()


def run_app(api_url: str, data_dir: str) -> None:
    import uvicorn
    from fastapi import FastAPI

    from agent.runtime import Runtime
    from agent.service import AgentService
    from connectors.slack.http import mount_slack
    from contract.settings import Settings
    from tests.support.slack import BOT_TOKEN, SECRET

    service = AgentService(
        Runtime(
            Settings(
                data_dir=Path(data_dir),
                demo=True,
                slack_bot_token=BOT_TOKEN,
                slack_signing_secret=SECRET,
                slack_api_url=api_url,
            )
        )
    )
    app = FastAPI()
    mount_slack(app, service)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)

    async def serve() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        print(f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/slack/events", flush=True)
        await task

    try:  # what `uvicorn.run` (portal-agent serve) picks when installed
        import uvloop

        uvloop.run(serve())
    except ImportError:
        asyncio.run(serve())


def spawn(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.slack_ack", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    line = proc.stdout.readline().strip()
    if not line:
        raise RuntimeError(f"child {args[0]} did not start")
    return proc, line


# --- the load ----------------------------------------------------------------------------------------
class Connection:
    """One keep-alive HTTP/1.1 connection written to directly, so the load generator itself adds
    next to nothing to the measured latency (an HTTP client library costs ~1 ms per request, which
    under a burst of 50 would be measured as server latency)."""

    def __init__(self, host: str, port: int, path: str):
        self.host, self.port, self.path = host, port, path

    async def open(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    def request(self, body: str, headers: dict[str, str]) -> bytes:
        raw = body.encode()
        lines = [
            f"POST {self.path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(raw)}",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + raw

    async def response(self) -> int:
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        self.writer.close()


async def load(url: str, api_url: str, events: int, rounds: int) -> list[Figure]:
    from urllib.parse import urlparse

    import httpx

    from tests.support.slack import event_body, mention, signed_headers

    parsed = urlparse(url)
    base = api_url.rsplit("/api/", 1)[0]
    async with httpx.AsyncClient(timeout=60) as client:

        async def burst(bodies: list[str], retry: int | None = None) -> list[tuple[float, int]]:
            """All requests written at once on warm connections; each timed from its write to its response."""
            conns = await asyncio.gather(
                *(Connection(parsed.hostname, parsed.port, parsed.path).open() for _ in bodies)
            )
            payloads = [c.request(b, signed_headers(b, retry=retry)) for c, b in zip(conns, bodies, strict=True)]
            sent: list[float] = []
            for conn, payload in zip(conns, payloads, strict=True):
                conn.writer.write(payload)
                sent.append(time.perf_counter())

            async def one(i: int) -> tuple[float, int]:
                status = await conns[i].response()
                return (time.perf_counter() - sent[i]) * 1000, status

            results = await asyncio.gather(*(one(i) for i in range(len(conns))))
            for conn in conns:
                await conn.close()
            return results

        async def answers(channel: str) -> tuple[int, int]:
            calls = (await client.get(f"{base}/_calls")).json()
            # An answer begins as a stream (chat.startStream) or a placeholder (chat.postMessage) and ends
            # as chat.stopStream or the final chat.update (Slack's native streaming, or its fallback).
            starts = ("chat.postMessage", "chat.startStream")
            posted = sum(1 for c in calls if c["method"] in starts and c["channel"] == channel)
            done = sum(
                1
                for c in calls
                if c["channel"] == channel
                and (c["method"] == "chat.stopStream" or (c["method"] == "chat.update" and not c["working"]))
            )
            return posted, done

        async def wait_answered(channel: str, count: int, timeout: float = 180) -> tuple[int, int]:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                _posted, done = await answers(channel)
                if done >= count:
                    await asyncio.sleep(1.0)  # anything extra (a duplicate) would show up now
                    return await answers(channel)
                await asyncio.sleep(0.2)
            return await answers(channel)

        # Warm-up: the first delivery pays for auth.test, the catalog load and the graph.
        await burst([event_body(mention("who owns checkout?", user="U0000", channel="CWARM"))])
        await wait_answered("CWARM", 1)

        latencies: list[float] = []
        not_once = 0
        started = time.perf_counter()
        for r in range(rounds):
            channel = f"CR{r}"
            bodies = [
                event_body(mention(QUESTIONS[i % len(QUESTIONS)], user=f"U{i:04d}", channel=channel))
                for i in range(events)
            ]
            results = await burst(bodies)
            # Slack redelivers some of them while the answers are being written: acked, not answered again.
            retries = await burst(bodies[:10], retry=1)
            latencies.extend(ms for ms, _ in [*results, *retries])
            statuses = {status for _, status in [*results, *retries]}
            posted, done = await wait_answered(channel, events)
            print(
                f"  round {r}: statuses {sorted(statuses)}, {posted} replies and {done} final answers "
                f"for {events} events; this burst's p99 {percentile([ms for ms, _ in results], 99):.1f} ms"
            )
            not_once += not (statuses == {200} and posted == events and done == events)
        elapsed = time.perf_counter() - started

    print(
        f"Slack ack latency: {events} concurrent signed events x {rounds} rounds (+10 retries each), "
        f"uvicorn + FastAPI route + slack-bolt, offline planner on the demo org"
    )
    print(f"  acks measured : {len(latencies)}")
    print(f"  p50           : {percentile(latencies, 50):7.1f} ms")
    print(f"  p95           : {percentile(latencies, 95):7.1f} ms")
    print(f"  p99           : {percentile(latencies, 99):7.1f} ms")
    print(f"  max           : {max(latencies):7.1f} ms   mean {statistics.mean(latencies):.1f} ms")
    print(f"  answered exactly once: {not not_once}; {rounds * events} answers in {elapsed:.1f} s")
    print(f"  machine load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return [
        Figure("ack p50", percentile(latencies, 50), "ms"),
        Figure("ack p95", percentile(latencies, 95), "ms"),
        Figure("ack p99", percentile(latencies, 99), "ms"),
        Figure("ack max", max(latencies), "ms"),
        Figure("rounds not answered exactly once", not_once, "rounds"),
    ]


def run(quick: bool = False, events: int | None = None, rounds: int | None = None) -> list[Figure]:
    events = events or (5 if quick else 50)
    rounds = rounds or (1 if quick else 3)
    mock, api_url = spawn("--child", "mock", "--events", str(events))
    data_dir = tempfile.mkdtemp(prefix="slack-ack-")
    app = None
    try:
        app, url = spawn("--child", "app", "--api-url", api_url, "--data-dir", data_dir)
        return asyncio.run(load(url, api_url, events, rounds))
    finally:
        for proc in (app, mock):
            if proc is not None:
                proc.stdin.close()
                proc.terminate()
                proc.wait(timeout=10)


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, help="concurrent events per round (default 50; 5 with --quick)")
    parser.add_argument("--rounds", type=int, help="bursts (default 3; 1 with --quick)")
    return parser


def child(argv: list[str]) -> None:
    """The stand-in or the app, in a process of its own (``spawn``)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=["mock", "app"], required=True)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--api-url")
    parser.add_argument("--data-dir")
    args = parser.parse_args(argv)
    if args.child == "mock":
        run_mock(args.events + 1)
    else:
        run_app(args.api_url, args.data_dir)


if __name__ == "__main__":
    if "--child" in sys.argv:
        child(sys.argv[1:])
    else:
        main(run, options())
