"""Marks a Slack delivery done once its listener has finished, so its later retries are duplicates.

Bolt acknowledges a delivery and runs its listener in the background; this is Bolt's own
completion hook, called when that listener returns or fails. A process killed before then never
marks it, and the claim's lease (:mod:`connectors.slack.store`) lets another replica answer the
next retry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.listener.async_listener_completion_handler import AsyncListenerCompletionHandler
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from connectors.slack.store import SlackStore


class FinishDeliveries(AsyncListenerCompletionHandler):
    def __init__(self, store: SlackStore, key_of: Callable[[dict[str, Any]], str | None]):
        self.store = store
        self.key_of = key_of

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        key = self.key_of(request.body)
        if key is not None:
            self.store.finish(key)
