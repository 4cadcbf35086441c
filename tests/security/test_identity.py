"""Principals are catalog Users, whatever connector resolves them (issue 14).

A group ref, a bare name the catalog resolves to a group or component, or a group's mailing
address never becomes a principal: the CLI refuses it, the web answers 403 (tests/web), and
Slack treats the person as unknown (read-only).
"""

from __future__ import annotations

import pytest

from agent.identity import NotAUser, catalog_user, resolve_principal
from agent.runtime import Runtime
from connectors.slack.identity import SlackIdentities
from contract.settings import Settings
from tests.security.servers import Served
from tests.support.mock_slack import TEAM, MockSlack


@pytest.fixture(scope="module")
def demo_catalog(tmp_path_factory):
    return Runtime(Settings(demo=True, data_dir=tmp_path_factory.mktemp("demo"))).catalog


def test_catalog_user_accepts_users_only(demo_catalog):
    assert catalog_user(demo_catalog, "marco.bianchi").ref == "user:default/marco.bianchi"
    assert catalog_user(demo_catalog, "User:default/Marco.Bianchi").ref == "user:default/marco.bianchi"
    assert catalog_user(demo_catalog, email="MARCO.BIANCHI@tessera.example").ref == "user:default/marco.bianchi"
    for ref in ("group:default/team-platform", "team-platform", "component:default/checkout", "checkout"):
        with pytest.raises(NotAUser):
            catalog_user(demo_catalog, ref)
    for email in ("team-platform@tessera.example", "marco.bianchi@another-domain.example", "marco.bianchi"):
        assert catalog_user(demo_catalog, email=email) is None, email
    assert catalog_user(demo_catalog, "user:default/ghost") is None
    ghost = resolve_principal(demo_catalog, "ghost")
    assert ghost.ref == "user:default/ghost" and ghost.read_only, "the CLI's unknown people are read-only"


async def test_slack_never_maps_a_group_address_to_a_principal(tmp_path):
    from slack_sdk.web.async_client import AsyncWebClient

    from agent.service import AgentService

    def user(uid: str, email: str) -> dict:
        return {"id": uid, "name": uid.lower(), "team_id": TEAM, "profile": {"email": email, "display_name": uid}}

    api = MockSlack(
        {
            "U0PLATFORM": user("U0PLATFORM", "team-platform@tessera.example"),  # a shared team account
            "U0MARCO": user("U0MARCO", "Marco.Bianchi@tessera.example"),
            "U0LOOKALIKE": user("U0LOOKALIKE", "marco.bianchi@another-domain.example"),
        }
    ).start()
    service = AgentService(Runtime(Settings(demo=True, data_dir=tmp_path)))
    try:
        client = AsyncWebClient(token="xoxb-test", base_url=api.api_url)
        identities = SlackIdentities(service)
        platform = await identities.resolve(client, "U0PLATFORM", TEAM)
        assert platform.read_only and not platform.ref.startswith("group:") and platform.groups == []
        marco = await identities.resolve(client, "U0MARCO", TEAM)
        assert marco.ref == "user:default/marco.bianchi" and not marco.read_only
        lookalike = await identities.resolve(client, "U0LOOKALIKE", TEAM)
        assert lookalike.read_only and lookalike.ref != "user:default/marco.bianchi"
    finally:
        await service.aclose()
        api.stop()


@pytest.mark.slow
def test_the_cli_refuses_a_group_as_user(tmp_path):
    cli = Served(tmp_path, "cli")
    for user in ("group:default/team-platform", "team-platform"):
        done = cli.run_cli("ask", "who owns checkout?", "--user", user)
        assert done.returncode == 2, (done.returncode, done.stdout[-500:], done.stderr[-2000:])
        assert "not a catalog User" in done.stderr
