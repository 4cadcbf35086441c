"""Secrets in what a real cluster returns never reach an answer, a streamed event, the saved
conversation or a log line: container logs planted with the shapes the review found passing."""

from __future__ import annotations

import base64
import json
import logging

from agent.service import AgentService
from tests.support.kubernetes import demo_state, runtime_for, start_server

JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6InBsYW50ZWQifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLXBsYW50ZWQ"
SECRETS = {
    "hunter2-planted": "ERROR boot: DB_PASSWORD=hunter2-planted rejected by catalog-db",
    "pg-pass-planted": "WARN  dsn postgres://reviews:pg-pass-planted@catalog-db:5432/reviews unreachable",
    "YmFzaWMtcGxhbnRlZA": "INFO  upstream sent Authorization: Basic " + base64.b64encode(b"svc:basic-planted").decode(),
    "aws-planted-wJalrXUtnFEMI": "INFO  AWS_SECRET_ACCESS_KEY=aws-planted-wJalrXUtnFEMI/K7MDENG loaded",
    JWT: f"DEBUG token {JWT} refreshed",
    "json-planted-key": '{"level":"info","api_key":"json-planted-key","msg":"ready"}',
    "env-planted-value": "DEBUG env: - name: STRIPE_SECRET\n  value: env-planted-value",
}


def test_planted_secrets_in_logs_are_masked_everywhere(tmp_path, caplog):
    state = demo_state()
    lines = "\n".join(f"2026-11-24T08:30:05.000Z {line}" for line in SECRETS.values()) + "\n"
    planted = [key for key in state.logs if key.startswith("discovery/reviews-")]
    assert planted, "the demo cluster has reviews pods"
    for key in planted:
        state.logs[key] = lines + state.logs[key]
    server = start_server(state)
    try:
        service = AgentService(runtime_for(tmp_path, server))
        marco = service.principal("marco.bianchi")
        with caplog.at_level(logging.DEBUG):
            events = list(service.stream("show me the logs of reviews", marco))
            result = service.ask("show me the logs of reviews", marco)
        assert [c["name"] for c in result.tool_calls] == ["k8s_logs"]
        assert "catalog-db" in result.answer and "[redacted]" in result.answer  # the log is shown, masked
        snapshot = service.graph.get_state({"configurable": {"thread_id": result.thread_id}})
        saved = json.dumps([m.model_dump() for m in snapshot.values["messages"]], default=str)
        streamed = json.dumps(events, default=str)
        for secret in SECRETS:
            for where, text in (
                ("answer", result.answer),
                ("stream", streamed),
                ("state", saved),
                ("logs", caplog.text),
            ):
                assert secret not in text, f"{secret} reached the {where}"
    finally:
        server.stop()
