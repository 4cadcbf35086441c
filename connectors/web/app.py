"""The web chat's FastAPI app: the agent protocol API, the widget, charts, approvals, health.

``portal-agent serve`` calls :func:`create_app` with the process's :class:`AgentService` and runs
it with uvicorn. Everything is served by this app (no CDN, no build step).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi_offline import FastAPIOffline
from pydantic import Field
from starlette.routing import Route

from agent.gate.expiry import sweep_periodically
from agent.redact import redact_text
from agent.service import AgentService
from agent.telemetry.metrics import metrics_for
from connectors.mcp.transports import McpHttp
from connectors.web import api, approvals
from connectors.web.auth import VisitorCookie
from connectors.web.bodies import WebBody, json_only
from connectors.web.context import WebContext
from connectors.web.demo_people import COOKIE as DEMO_COOKIE
from connectors.web.metrics import mount_metrics
from connectors.web.pages import CSP, page

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
DOCS_ASSETS = "/docs-assets"
CHART_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.(png|svg|jpg|jpeg|webp)$")
CHART_TYPES = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
}


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, whether or not Content-Length is sent.

    ``limit`` is always positive: the setting is validated (:mod:`contract.settings`), so a 0 can no
    longer turn the limit off.
    """

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > self.limit
            except ValueError:
                too_big = True
            if too_big:
                return await _too_large(self.limit, scope, receive, send)
            return await self.app(scope, receive, send)
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return await self.app(scope, receive, send)
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > self.limit:
                return await _too_large(self.limit, scope, receive, send)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


async def _too_large(limit: int, scope, receive, send) -> None:
    response = JSONResponse({"detail": f"request body larger than {limit} bytes"}, status_code=413)
    await response(scope, receive, send)


def _optional_hooks(app: FastAPI, service: AgentService) -> None:
    """Slack's HTTP endpoints, when that connector is installed and configured."""
    settings = service.runtime.settings
    if not (settings.slack_bot_token and settings.slack_signing_secret):
        return
    try:
        from connectors.slack.http import mount_slack
    except ImportError:
        log.info("Slack tokens are configured but connectors.slack.http.mount_slack is not available")
        return
    mount_slack(app, service)


def _sweeps(app: FastAPI, ctx: WebContext) -> list[Callable[[], Awaitable[None]]]:
    """What the app does every ``SWEEP_SECONDS``: close overdue approval requests, and settle the
    approved actions of a replica that died (their claims' holder is gone) — the web's
    conversations, and Slack's when it is mounted (that connector posts the outcome in the thread)."""

    def not_slack(thread_id: str) -> bool:
        return not thread_id.startswith("slack:")

    async def web_sweep() -> None:
        await approvals.expire_overdue(ctx)
        await asyncio.to_thread(ctx.service.recover_interrupted, not_slack)

    sweeps = [web_sweep]
    slack = getattr(app.state, "slack_app", None)
    if slack is not None:
        connector = slack._portal_connector

        async def slack_sweep() -> None:
            await connector.sweep(slack.client)

        sweeps.append(slack_sweep)
    return sweeps


def _readiness(service: AgentService) -> dict[str, Any]:
    """The families' readiness entries; /readyz is unauthenticated: no credentials from an error text."""
    out = service.runtime.readiness()
    for entry in out.values():
        if isinstance(entry, dict) and entry.get("error"):
            entry["error"] = redact_text(str(entry["error"]))
    return out


def _grace_left(app: FastAPI, grace: float) -> float:
    """Seconds of the shutdown grace left: counted from the signal when there was one."""
    deadline = getattr(app.state, "drain_deadline", None)
    return grace if deadline is None else max(0.0, deadline - time.monotonic())


async def _finish_runs(ctx: WebContext, grace: float) -> None:
    """Let runs whose clients went away finish for ``grace`` seconds, then cancel the rest.

    A cancelled run releases its thread lease and approval claim on the way out (their ``finally``
    blocks), and its conversation resumes from the last checkpoint the next time it runs.
    """
    running = list(ctx.background)
    if not running:
        return
    _done, late = await asyncio.wait(running, timeout=grace)
    if late:
        log.warning("shutdown: %d run(s) still going after %.0f s are cancelled", len(late), grace)
        for task in late:
            task.cancel()
        await asyncio.wait(late, timeout=5)


class TryAs(WebBody):
    ref: str | None = Field(None, description="A demo person's ref, or null to browse anonymously again")


def create_app(service: AgentService, *, background_indexing: bool = True) -> FastAPI:
    """The app. ``background_indexing=False`` skips refreshing the docs index at start-up (tests)."""
    ctx = WebContext(service)
    settings = service.runtime.settings
    mcp = McpHttp(service, ctx.auth.principal)  # /mcp: the same tokens, the same gate

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async def warm() -> None:
            try:
                await api.warm_up(ctx)
                ctx.ready = True
            except Exception as exc:  # readiness reports it; health stays up so the cause can be read
                log.exception("warm-up failed")
                ctx.startup_error = f"{type(exc).__name__}: {exc}"
            # After the warm-up, which imported torch once: two threads importing it at once fail.
            if background_indexing:
                service.runtime.start_background_work()

        app.state.sweeps = _sweeps(app, ctx)
        periodic = [asyncio.create_task(sweep_periodically(sweep)) for sweep in app.state.sweeps]
        tasks = [asyncio.create_task(warm()), *periodic]
        mcp_sessions = AsyncExitStack()
        await mcp_sessions.enter_async_context(mcp.running())
        try:
            yield
        finally:
            await mcp_sessions.aclose()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(BaseException):
                    await task
            grace = _grace_left(app, settings.shutdown_grace_seconds)
            await _finish_runs(ctx, grace)
            slack = getattr(app.state, "slack_app", None)
            if slack is not None:  # Slack turns run in Bolt's own tasks, after their acknowledgement
                await slack._portal_connector.drain(_grace_left(app, grace))
            await service.aclose()
            ctx.threads.close()

    # /docs (Swagger UI) with its JS/CSS served by this app from the fastapi-offline package:
    # FastAPI's default page loads them from a CDN and renders nothing without internet. No online
    # validator badge (Swagger UI would fetch it from validator.swagger.io). No /redoc: ReDoc's
    # bundle still fetches its logo from cdn.redoc.ly; /docs and /openapi.json cover the same.
    app: FastAPI = FastAPIOffline(
        redoc_url=None,
        title="portal-agent",
        version="0.1.0",
        lifespan=lifespan,
        description="The developer portal's assistant: LangGraph Agent Protocol API, web widget, approvals.",
        static_url=DOCS_ASSETS,
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.web = ctx

    origins = list(settings.web_allowed_origins)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials="*" not in origins,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Api-Key", "Accept", "Cache-Control", "Last-Event-ID"],
            expose_headers=["Content-Location", "Retry-After"],
        )
    app.add_middleware(BodyLimit, limit=settings.web_max_request_bytes)
    app.add_middleware(VisitorCookie)
    mount_metrics(app, metrics_for(service.runtime))  # outermost: it counts what the others refuse
    app.router.routes.append(Route("/mcp", endpoint=mcp, methods=["GET", "POST", "DELETE"]))

    # --- health --------------------------------------------------------------------------------
    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> Response:
        """Ready once the graph and models are loaded; ``docs_index`` says if the docs index is still building,
        ``families`` which tool families have data to answer from (the others are not configured)."""
        if ctx.ready:
            status = await asyncio.to_thread(service.runtime.family_status)
            families = {name: family["live"] for name, family in status.items()}
            body = {"status": "ready", "families": families, **_readiness(service)}
            return JSONResponse(body)
        body: dict[str, Any] = {"status": "starting" if ctx.startup_error is None else "failed"}
        if ctx.startup_error:
            body["error"] = ctx.startup_error
        return JSONResponse(body, status_code=503)

    @app.get("/whoami", tags=["auth"])
    async def whoami(request: Request) -> dict[str, Any]:
        principal = ctx.principal(request)
        return {
            "ref": principal.ref,
            "display_name": principal.display_name,
            "read_only": principal.read_only,
            "anonymous": principal.is_anonymous,
        }

    # --- "try as" a demo person (the demo organisation only) -----------------------------------
    @app.get("/demo/people", tags=["auth"])
    async def demo_people() -> dict[str, Any]:
        """The demo people the page may offer; empty whenever real sources are configured."""
        return {"people": ctx.demo_people.people, "demo_only": True}

    @app.post("/demo/try-as", tags=["auth"])
    async def demo_try_as(request: Request, body: TryAs) -> Response:
        if not ctx.demo_people.enabled:
            raise HTTPException(status_code=404, detail="there are no demo people: real sources are configured")
        if body.ref is not None and not ctx.demo_people.known(body.ref):
            raise HTTPException(status_code=422, detail=f"{body.ref} is not one of the demo people")
        response = JSONResponse({"ref": body.ref, "demo_only": True})
        if body.ref is None:
            response.delete_cookie(DEMO_COOKIE, path="/")
        else:
            response.set_cookie(
                DEMO_COOKIE, ctx.demo_people.cookie_value(body.ref), path="/", httponly=True, samesite="strict"
            )
        return response

    # --- pages and assets ----------------------------------------------------------------------
    def _html(kind: str) -> HTMLResponse:
        return HTMLResponse(page(kind), headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"})

    @app.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        return _html("page")

    @app.get("/widget.js", include_in_schema=False)
    async def widget() -> FileResponse:
        return FileResponse(
            STATIC / "widget.js",
            media_type="text/javascript",
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    @app.get("/charts/{name}", tags=["charts"])
    async def chart(name: str) -> FileResponse:
        """A chart written by a tool under ``data_dir/charts`` (only that folder, plain file names)."""
        match = CHART_NAME.match(name)
        folder = (service.runtime.data_dir / "charts").resolve()
        path = (folder / name).resolve()
        if not match or path.parent != folder or not path.is_file():
            raise HTTPException(status_code=404, detail="no such chart")
        return FileResponse(
            path,
            media_type=CHART_TYPES[match.group(1).lower()],
            headers={
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, max-age=300",
            },
        )

    app.include_router(approvals.build_router(ctx), dependencies=[Depends(json_only)])
    app.include_router(api.build_router(ctx), dependencies=[Depends(json_only)])
    _optional_hooks(app, service)

    @app.exception_handler(json.JSONDecodeError)
    async def bad_json(request: Request, exc: json.JSONDecodeError) -> JSONResponse:
        return JSONResponse({"detail": f"invalid JSON: {exc}"}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def invalid_body(request: Request, exc: RequestValidationError) -> Response:
        """422 naming each bad field, without echoing the input back.

        The input may be what made it invalid (a lone surrogate cannot even be written as UTF-8
        JSON), or a secret someone pasted in the wrong field.
        """
        errors = [{k: v for k, v in e.items() if k in ("type", "loc", "msg")} for e in exc.errors()]
        body = json.dumps({"detail": jsonable_encoder(errors)}, ensure_ascii=True)
        return Response(body, status_code=422, media_type="application/json")

    return app
