"""Structured logs: one JSON object per line, secrets redacted, trace ids inside spans.

Also ``portal-agent serve`` itself with ``PORTAL_AGENT_LOG_FORMAT=json``: every line it writes,
uvicorn's included, is JSON; a token a client put in a URL does not reach the access log; and
SIGTERM stops it cleanly (exit 0) after it says it stopped taking connections.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time

import httpx

from agent.telemetry.logs import JsonFormatter, configure_logging
from agent.telemetry.tracing import tracer
from contract.settings import Settings
from tests.support.agent import DATA

SLACK_TOKEN = "xoxb-123456789012-abcdefghijklmnop"
PASSWORD = "hunter2-correct-horse"


def raw_record(message: str, *args, exc_info=None) -> logging.LogRecord:
    """A record made directly, as a library's own code path might, without the redacting factory."""
    return logging.LogRecord("lib.client", logging.ERROR, __file__, 1, message, args, exc_info)


def test_a_json_line_carries_no_secret():
    try:
        raise RuntimeError(f"connect to postgresql://app:{PASSWORD}@db:5432/portal failed")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = raw_record(
        "calling Slack with %s and Authorization: Bearer %s", SLACK_TOKEN, "abc.def.ghi", exc_info=exc_info
    )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["level"] == "error" and parsed["logger"] == "lib.client"
    assert parsed["time"].endswith("+00:00")
    assert "RuntimeError" in parsed["exception"]
    for secret in (SLACK_TOKEN, PASSWORD, "abc.def.ghi"):
        assert secret not in line
    assert "[redacted]" in parsed["message"] and "[redacted]" in parsed["exception"]


def test_a_line_inside_a_span_names_its_trace(spans):
    with tracer().start_as_current_span("invoke_agent portal-agent") as span:
        parsed = json.loads(JsonFormatter().format(raw_record("inside")))
    context = span.get_span_context()
    assert parsed["trace_id"] == f"{context.trace_id:032x}"
    assert parsed["span_id"] == f"{context.span_id:016x}"
    assert "trace_id" not in json.loads(JsonFormatter().format(raw_record("outside")))


def test_configure_logging_puts_every_logger_on_one_json_handler():
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    try:
        configure_logging(Settings(log_format="json", log_level="warning"), stream)
        logging.getLogger("uvicorn.access").warning("GET /x?token=%s 200", SLACK_TOKEN)
        logging.getLogger("agent.service").info("not at warning level")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["logger"] == "uvicorn.access"
    assert SLACK_TOKEN not in lines[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_writes_json_lines_and_stops_cleanly_on_sigterm(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_AGENT_")}
    env.update(
        PORTAL_AGENT_CATALOG=str(DATA / "catalog.yaml"),
        PORTAL_AGENT_DATA_DIR=str(tmp_path / "data"),
        PORTAL_AGENT_CONFIG=str(tmp_path / "none.yaml"),
        PORTAL_AGENT_LOG_FORMAT="json",
        PORTAL_AGENT_SHUTDOWN_GRACE_SECONDS="5",
    )
    command = [sys.executable, "-m", "portal_agent.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log_file = tmp_path / "serve.log"
    with log_file.open("wb") as out:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert process.poll() is None, log_file.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", params={"token": SLACK_TOKEN}).status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log_file.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    lines = [line for line in log_file.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line, uvicorn's too, is one JSON object
    messages = [r["message"] for r in records]
    assert any("/healthz" in m for m in messages), messages
    assert SLACK_TOKEN not in log_file.read_text()
    assert any("no new connections" in m for m in messages), messages
    assert any(r["logger"].startswith("uvicorn") for r in records)
