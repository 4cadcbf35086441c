"""Slack user → email (``users.info``) → catalog User → :class:`Principal`.

Only a catalog User whose own profile email is exactly the Slack email (case-insensitive) acts as
that person (:func:`agent.identity.catalog_user`): a group's mailing address names nobody. People
the catalog does not know, bots, and users whose email Slack does not share (the app lacks
``users:read.email``) get a read-only principal under a ``slack-`` ref: they may ask, but may
neither request nor approve changes. Lookups are cached for a few minutes so a busy thread costs
one ``users.info`` call.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from agent.identity import catalog_user, user_principal
from contract.principal import Principal

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from agent.service import AgentService

log = logging.getLogger(__name__)

CACHE_SECONDS = 300.0


class SlackIdentities:
    def __init__(self, service: AgentService, *, ttl: float = CACHE_SECONDS):
        self.service = service
        self.ttl = ttl
        self._cache: dict[tuple[str | None, str], tuple[float, Principal]] = {}

    async def resolve(self, client: AsyncWebClient, user_id: str | None, team_id: str | None = None) -> Principal:
        if not user_id:
            return Principal.anonymous(via="slack")
        key = (team_id, user_id)
        cached = self._cache.get(key)
        if cached and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        principal = await self._lookup(client, user_id)
        self._cache[key] = (time.monotonic(), principal)
        return principal

    async def _lookup(self, client: AsyncWebClient, user_id: str) -> Principal:
        try:
            response = await client.users_info(user=user_id)
            user = response.get("user") or {}
        except Exception as exc:  # an API error must not stop the answer; the person is read-only
            log.warning("users.info failed for %s: %s", user_id, exc)
            user = {}
        profile = user.get("profile") or {}
        email = profile.get("email")
        name = profile.get("display_name") or profile.get("real_name") or user.get("name") or user_id
        if user.get("is_bot") or user.get("deleted") or not email:
            return Principal(
                ref=f"user:default/slack-{user_id.lower()}", display_name=name, read_only=True, via="slack"
            )
        catalog = self.service.runtime.catalog
        entity = catalog_user(catalog, email=email)
        if entity is None:  # the catalog has no User with this email
            return Principal(
                ref=f"user:default/slack-{user_id.lower()}", display_name=name, email=email, read_only=True, via="slack"
            )
        return user_principal(catalog, entity, via="slack")
