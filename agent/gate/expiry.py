"""Approval requests nobody decides in time are closed, so no conversation is left hanging.

The policy already refuses a late decision. This closes the request without one: each connector
periodically resumes the overdue requests of its own conversations (Slack threads for the Slack
connector, the others for the web app) with a decision by the system principal below. The approval
gate records it as an expiry, nothing runs, and the requester's conversation gets its answer. The
gate claims each request first, so a click at the same moment and a second replica's sweep
cannot decide it twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from contract.principal import Principal

log = logging.getLogger(__name__)

EXPIRY_PRINCIPAL = Principal(ref="system:default/approval-expiry", display_name="approval expiry", via="expiry")
SWEEP_SECONDS = 30.0


async def sweep_periodically(sweep: Callable[[], Awaitable[object]], every: float = SWEEP_SECONDS) -> None:
    """Run ``sweep`` now and every ``every`` seconds until cancelled; a failed sweep is logged."""
    while True:
        try:
            await sweep()
        except Exception:
            log.exception("closing overdue approval requests failed")
        await asyncio.sleep(every)
