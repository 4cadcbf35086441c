"""A Slack replica that claims one delivery and is killed before answering it (SIGKILL).

    python -m tests.scale.slack_replica DATA_DIR SLACK_API_URL BODY_FILE

Runs the real Bolt app over the shared database (``PORTAL_AGENT_DATABASE_URL``); the claim is
the last thing it does, the way a replica dies between acknowledging and answering.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from connectors.slack.app import build_slack_app
from tests.support.slack import dispatch, make_service, signed_headers


class _Api:
    def __init__(self, url: str):
        self.api_url = url


async def main(data_dir: str, api_url: str, body_file: str) -> None:
    service = make_service(Path(data_dir), _Api(api_url), [])
    app = build_slack_app(service)
    store = app._portal_connector.store
    claim = store.claim

    def claim_then_die(key: str) -> bool:
        if claim(key):
            os.kill(os.getpid(), signal.SIGKILL)
        return False

    store.claim = claim_then_die
    body = Path(body_file).read_text()
    await dispatch(app, body, signed_headers(body))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
