"""``portal-agent serve``'s server: uvicorn, with a graceful stop on SIGTERM.

Kubernetes stops a pod with SIGTERM (after the chart's preStop pause, by which time the pod is out
of the Service's endpoints). From that moment, within one ``shutdown_grace_seconds`` counted from
the signal:

1. uvicorn closes its listening socket (no new connections, so no new runs or Slack deliveries:
   Slack retries those, and another replica answers) and idle keep-alive connections, and waits for
   the requests in progress, a run's event stream included;
2. the app's shutdown stops the expiry sweeps, waits what is left of the grace for runs whose
   client went away and for Slack turns (acknowledged, running in Bolt's tasks), then cancels the
   rest: each releases its thread lease and approval claim on the way out, and its conversation
   resumes from its last checkpoint on its next run (an approved change cut short is reported as
   outcome unknown, never re-run). A tool call already running in a worker thread cannot be
   cancelled: the process exits when it returns (the tools' clients all have timeouts) or when
   Kubernetes' ``terminationGracePeriodSeconds`` runs out.
"""

from __future__ import annotations

import logging
import signal
import time
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    from agent.service import AgentService

log = logging.getLogger(__name__)


class GracefulServer(uvicorn.Server):
    """uvicorn's server, which starts the app's shutdown grace at the signal."""

    def __init__(self, config: uvicorn.Config):
        super().__init__(config)
        self.app = config.app

    def handle_exit(self, sig, frame) -> None:
        if getattr(self.app.state, "drain_deadline", None) is None:
            log.info("signal %s: no new connections; runs in progress may finish", sig)
            self.app.state.drain_deadline = time.monotonic() + (self.config.timeout_graceful_shutdown or 0)
        super().handle_exit(sig, frame)


def run_server(service: AgentService, *, host: str, port: int) -> None:
    """Serve the web app (and Slack HTTP events when configured) until SIGTERM or Ctrl-C."""
    from connectors.web.app import create_app

    settings = service.runtime.settings
    # X-Forwarded-For/-Proto are believed only from the configured proxies: uvicorn's default
    # trusts them from loopback, where anyone on the host could pick the client address the
    # anonymous rate limit is keyed by. Idle connections are kept longer than common client
    # pools keep theirs, so a reused connection is not closed at the moment a client sends on it.
    proxies = settings.web_forwarded_allow_ips
    config = uvicorn.Config(
        create_app(service),
        host=host,
        port=port,
        log_config=None,  # the process's logging (agent.telemetry.logs): text or JSON, redacted
        timeout_keep_alive=75,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )
    # uvicorn raises the signal again once it has shut down, for the default handler to end the
    # process; handled here instead, so the caller still flushes its traces and the exit is 0.
    previous = signal.signal(signal.SIGTERM, _already_handled)
    try:
        GracefulServer(config).run()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _already_handled(sig, frame) -> None:
    """SIGTERM after uvicorn's graceful shutdown: nothing left to do."""
