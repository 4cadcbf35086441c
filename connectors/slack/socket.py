"""Slack over Socket Mode (``portal-agent slack``): no public URL needed, one WebSocket per process.

Envelopes are acknowledged over the socket by Bolt's handler as soon as the app acknowledges them;
the same listeners, deduplication and approvals as over HTTP apply.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from connectors.slack import socket_configured

if TYPE_CHECKING:
    from agent.service import AgentService

log = logging.getLogger(__name__)


def socket_mode_handler(service: AgentService, *, update_interval: float = 1.0):
    """An ``AsyncSocketModeHandler`` for the app (connect with ``await handler.connect_async()``)."""
    settings = service.runtime.settings
    if not socket_configured(settings):
        raise ValueError("Socket Mode needs PORTAL_AGENT_SLACK_BOT_TOKEN and PORTAL_AGENT_SLACK_APP_TOKEN")
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from connectors.slack.app import build_slack_app

    bolt = build_slack_app(service, update_interval=update_interval)
    return AsyncSocketModeHandler(bolt, settings.slack_app_token.get_secret_value())


async def run_socket_mode(service: AgentService) -> None:
    """Connect and serve until SIGTERM or Ctrl-C, then stop gracefully.

    On the signal the socket is closed first (Slack sends new envelopes to the other connections),
    then the turns in progress get ``shutdown_grace_seconds`` to finish before the process exits.
    """
    import asyncio
    import contextlib
    import signal

    from agent.gate.expiry import sweep_periodically

    handler = socket_mode_handler(service)
    connector = handler.app._portal_connector
    await connector.recover(handler.app.client)  # what a killed process left half-done, before new work
    sweep = asyncio.create_task(sweep_periodically(lambda: connector.sweep(handler.app.client)))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(ValueError, NotImplementedError):  # not the main thread, or no signals here
            loop.add_signal_handler(sig, stop.set)
    try:
        await handler.connect_async()
        await stop.wait()
        log.info("signal received: closing the socket, letting turns in progress finish")
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        sweep.cancel()
        await handler.close_async()
        await connector.drain(service.runtime.settings.shutdown_grace_seconds)
        await service.aclose()
