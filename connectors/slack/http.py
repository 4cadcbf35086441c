"""Slack over HTTP: ``POST /slack/events`` on the FastAPI app (events, commands, interactivity).

Bolt's Starlette/FastAPI adapter hands the raw body and headers to the app, whose request
verification middleware checks the ``v0`` signature and timestamp with the signing secret before
any listener runs: forged or replayed (older than five minutes) requests get a 401.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request  # at module level: FastAPI resolves the endpoint's annotations here

from connectors.slack import http_configured

if TYPE_CHECKING:
    from fastapi import FastAPI
    from slack_bolt.async_app import AsyncApp

    from agent.service import AgentService

EVENTS_PATH = "/slack/events"


def mount_slack(
    fastapi_app: FastAPI, service: AgentService, *, path: str = EVENTS_PATH, update_interval: float = 1.0
) -> AsyncApp:
    """Add the Slack route to ``fastapi_app``; raises ValueError when Slack is not configured."""
    settings = service.runtime.settings
    if not http_configured(settings):
        raise ValueError("Slack HTTP events need PORTAL_AGENT_SLACK_BOT_TOKEN and PORTAL_AGENT_SLACK_SIGNING_SECRET")
    from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

    from connectors.slack.app import build_slack_app

    bolt = build_slack_app(service, update_interval=update_interval)
    handler = AsyncSlackRequestHandler(bolt)

    async def slack_events(req: Request):
        return await handler.handle(req)

    fastapi_app.add_api_route(path, slack_events, methods=["POST"], include_in_schema=False, name="slack_events")
    fastapi_app.state.slack_app = bolt
    return bolt
