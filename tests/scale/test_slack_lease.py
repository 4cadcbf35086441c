"""A Slack delivery claimed by a replica that died is answered by another once the lease lapses."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest
from langchain_core.messages import AIMessage

from connectors.slack.app import build_slack_app
from tests.support.mock_slack import MockSlack
from tests.support.paths import REPO
from tests.support.slack import USERS, dispatch, event_body, make_service, mention, signed_headers

LEASE = 2.0


@pytest.fixture
def slack_api():
    api = MockSlack(dict(USERS)).start()
    yield api
    api.stop()


async def test_a_delivery_claimed_by_a_killed_replica_is_answered_after_the_lease(
    tmp_path, slack_api, postgres_url, monkeypatch
):
    monkeypatch.setenv("PORTAL_AGENT_DATABASE_URL", postgres_url)
    monkeypatch.setenv("PORTAL_AGENT_SLACK_CLAIM_LEASE_SECONDS", str(LEASE))
    body = event_body(mention("who owns widget-api?"), event_id="Ev0KILLED")
    (tmp_path / "body.json").write_text(body)
    killed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.scale.slack_replica",
            str(tmp_path / "a"),
            slack_api.api_url,
            str(tmp_path / "body.json"),
        ],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    service = make_service(tmp_path / "b", slack_api, [AIMessage(content="answered by b")])
    app = build_slack_app(service)
    try:
        # Slack's first retry lands on B while A's claim still holds: acknowledged, not answered.
        assert (await dispatch(app, body, signed_headers(body, retry=1))).status == 200
        await asyncio.sleep(0.5)
        assert service.model.seen == []
        # The next retry comes after the lease: A never finished, so B answers it.
        await asyncio.sleep(LEASE)
        assert (await dispatch(app, body, signed_headers(body, retry=2))).status == 200
        await slack_api.wait_for("chat.update", where=lambda p: "answered by b" in str(p.get("blocks")))
        await asyncio.sleep(LEASE + 0.5)
        # Answered now: a later retry is a duplicate even after another lease.
        assert (await dispatch(app, body, signed_headers(body, retry=3))).status == 200
        await asyncio.sleep(0.5)
        assert len(service.model.seen) == 1
        assert len(slack_api.of("chat.postMessage")) == 1
    finally:
        await service.aclose()
