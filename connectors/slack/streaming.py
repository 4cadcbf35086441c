"""Slack's native message streaming for an answer: ``chat.startStream``, ``appendStream``, ``stopStream``.

The answer's text is appended as it is written, tool activity shows as task chunks in a timeline
("Running catalog_owner…" → done), and the stream stops with the answer's sources, entities and
feedback buttons. Text is appended up to the last whitespace only, and each piece is redacted
before it leaves: a secret is one unbroken token, so it is never split across two appends where
redaction could not see it whole. A workspace or channel that refuses to stream is detected at
``startStream``, before the turn starts, and the caller falls back to ``chat.update``.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from agent.events import Finished, Token, ToolFinished, ToolStarted
from agent.redact import redact_text

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from slack_sdk.web.async_client import AsyncWebClient

    from agent.events import TurnEvent

log = logging.getLogger(__name__)
FLUSH_CHARS = 256
FLUSH_SECONDS = 0.8
THINKING = "thinking"


class StreamRefused(Exception):
    """Slack would not start a stream here (an older workspace, a channel type, a missing scope)."""


def _task(task_id: str, title: str, status: str) -> dict[str, Any]:
    return {"type": "task_update", "id": task_id, "title": title, "status": status}


class NativeStream:
    def __init__(self, client: AsyncWebClient, channel: str, ts: str):
        self.client, self.channel, self.ts = client, channel, ts
        self.pending = ""
        self.last_flush = time.monotonic()

    @classmethod
    async def start(
        cls, client: AsyncWebClient, *, channel: str, thread_ts: str, team: str | None, user: str | None
    ) -> NativeStream:
        """Start the stream (the recipient fields are required in channels); raise StreamRefused."""
        try:
            started = await client.chat_startStream(
                channel=channel,
                thread_ts=thread_ts,
                recipient_team_id=team,
                recipient_user_id=user,
                task_display_mode="timeline",
                chunks=[_task(THINKING, "Thinking", "in_progress")],
            )
        except Exception as exc:
            raise StreamRefused(str(exc)) from exc
        return cls(client, channel, started["ts"])

    async def follow(self, events: AsyncIterator[TurnEvent]) -> Finished:
        """Stream the turn's text and tool activity; its :class:`Finished` event."""
        finished: Finished | None = None
        thinking = True
        async for event in events:
            if isinstance(event, Finished):
                finished = event
            elif isinstance(event, Token):
                self.pending += event.text
                if len(self.pending) >= FLUSH_CHARS or time.monotonic() - self.last_flush >= FLUSH_SECONDS:
                    await self._flush(whole=False)
            elif isinstance(event, ToolStarted):
                chunks = [_task(THINKING, "Thinking", "complete")] if thinking else []
                thinking = False
                await self._append(chunks=[*chunks, _task(event.call_id, f"Running {event.name}", "in_progress")])
            elif isinstance(event, ToolFinished):
                status = "complete" if event.ok else "error"
                await self._append(chunks=[_task(event.call_id, f"Ran {event.name}", status)])
        if finished is None:
            raise RuntimeError("the turn ended without an outcome")
        await self._flush(whole=True)
        return finished

    async def stop(self, blocks: list[dict[str, Any]] | None = None, text: str | None = None) -> None:
        await self.client.chat_stopStream(
            channel=self.channel, ts=self.ts, blocks=blocks or None, markdown_text=text or None
        )

    async def _flush(self, *, whole: bool) -> None:
        cut = len(self.pending) if whole else max(self.pending.rfind(" "), self.pending.rfind("\n")) + 1
        piece, self.pending = self.pending[:cut], self.pending[cut:]
        if piece:
            await self._append(markdown_text=redact_text(piece))
        self.last_flush = time.monotonic()

    async def _append(self, **kwargs: Any) -> None:
        try:
            await self.client.chat_appendStream(channel=self.channel, ts=self.ts, **kwargs)
        except Exception as exc:  # a lost piece of progress; the stop still carries the outcome
            log.warning("chat.appendStream failed: %s", exc)
