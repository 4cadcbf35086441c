"""Fixtures: a running mock Slack Web API, and a factory for services and Bolt apps over it."""

from __future__ import annotations

import pytest

from connectors.slack.app import build_slack_app
from tests.support.mock_slack import MockSlack
from tests.support.slack import USERS, make_service


@pytest.fixture
def slack_api():
    api = MockSlack(dict(USERS)).start()
    yield api
    api.stop()


@pytest.fixture
async def make_app(tmp_path, slack_api):
    """``make_app(script, **kw) -> (app, service)``; every service is closed at the end."""
    services = []

    def factory(script, *, data_dir=None, update_interval=60.0, **kw):
        service = make_service(data_dir or tmp_path, slack_api, script, **kw)
        services.append(service)
        return build_slack_app(service, update_interval=update_interval), service

    yield factory
    for service in services:
        await service.aclose()
