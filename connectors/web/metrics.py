"""``/metrics`` for Prometheus, and the HTTP request metrics behind it.

The figures are the runtime's (:mod:`agent.telemetry.metrics`): turns, model and tool calls,
approvals, Slack acknowledgements, and the requests this middleware counts. Requests are labelled
by route template (``/threads/{thread_id}/runs/stream``), never by the path a client sent, so the
label set stays bounded; a path no route matches is ``unmatched``.
"""

from __future__ import annotations

import asyncio
import time

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from agent.telemetry.metrics import Metrics

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
PATH = "/metrics"


class HttpMetrics:
    """ASGI middleware: each request counted by method, route and status, and timed to its last byte."""

    def __init__(self, app, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before it starts a response

        async def sending(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            method = scope.get("method", "GET").upper()
            method = method if method in METHODS else "other"
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_seconds.labels(method, route).observe(time.perf_counter() - started)


def mount_metrics(app: FastAPI, metrics: Metrics) -> None:
    """``GET /metrics`` in Prometheus' text format, and the request metrics around every route."""

    @app.get(PATH, tags=["health"], include_in_schema=False)
    async def prometheus_metrics() -> Response:
        # Off the event loop: the pending-approvals gauge reads the approval store.
        body = await asyncio.to_thread(generate_latest, metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(HttpMetrics, metrics=metrics)
