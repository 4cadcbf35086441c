"""One conversation turn in a Slack thread: status, progressive answer, final Block Kit message.

Where the workspace allows it, the answer streams natively (:mod:`connectors.slack.streaming`:
``chat.startStream``/``appendStream``/``stopStream``, tool activity as task chunks, feedback
buttons at the end). Otherwise, after Slack has been acknowledged:

1. a placeholder reply is posted in the thread (and, in assistant DM threads, a status is set);
2. the turn runs through :meth:`AgentService.aevents`; its tokens and tool events update the
   placeholder with ``chat.update``, at most once per ``update_interval`` seconds (Slack rate-limits
   ``chat.update``);
3. the placeholder becomes the final answer (sections, tables as fields, context lines with
   citations and entity refs); the PNG charts the tools attached are uploaded into the thread; or,
   if the turn stopped for an approval, it becomes the approval request with its buttons, also
   posted in the owning team's channel when the catalog names one.

Any failure ends as a short apology in the thread, never as silence.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.events import Finished, Token, ToolFinished, ToolStarted
from agent.redact import redact_text
from agent.service import AwaitingApproval
from connectors.slack import render
from connectors.slack.store import SlackStore
from connectors.slack.streaming import NativeStream, StreamRefused

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from agent.events import TurnEvent
    from agent.gate.policy import ApprovalRequest
    from agent.service import AgentService
    from contract.principal import Principal

log = logging.getLogger(__name__)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_CHART_BYTES = 5 * 1024 * 1024
MAX_CHARTS = 4
TEAM_CHANNEL_ANNOTATIONS = ("slack.com/channel-id", "portal-agent.io/slack-channel-id")


@dataclass
class Place:
    """Where a turn is answered."""

    team: str | None
    channel: str
    thread_ts: str
    user: str | None = None  # the Slack user who asked
    assistant: bool = False  # an assistant / DM thread: status and suggested prompts apply

    @property
    def thread_id(self) -> str:
        return render.thread_id_for(self.team, self.channel, self.thread_ts)


class ThreadLocks:
    """One turn at a time per conversation in this process (a graph thread is not re-entrant)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def hold(self, key: str) -> _Held:
        return _Held(self, key)


class _Held:
    def __init__(self, owner: ThreadLocks, key: str):
        self.owner, self.key = owner, key

    async def __aenter__(self):
        lock, users = self.owner._locks.get(self.key, (asyncio.Lock(), 0))
        self.owner._locks[self.key] = (lock, users + 1)
        await lock.acquire()

    async def __aexit__(self, *exc):
        lock, users = self.owner._locks[self.key]
        lock.release()
        if users <= 1:
            self.owner._locks.pop(self.key, None)
        else:
            self.owner._locks[self.key] = (lock, users - 1)


class Conversations:
    def __init__(
        self,
        service: AgentService,
        store: SlackStore,
        *,
        update_interval: float = 1.0,
        max_turns: int = 1,
        native_streaming: bool = True,
    ):
        self.service = service
        self.store = store
        self.update_interval = update_interval
        self.native_streaming = native_streaming
        self.locks = ThreadLocks()
        # Turns share the process (and its GIL) with the acknowledgements of new deliveries; running
        # few at a time keeps acks fast under bursts and costs no throughput on a CPU-bound model.
        # The connector holds a slot for a whole question or click (identity lookup included).
        self.slots = asyncio.Semaphore(max_turns)

    # --- a question ----------------------------------------------------------------------------
    async def answer(self, client: AsyncWebClient, place: Place, text: str, principal: Principal) -> None:
        """Answer ``text`` in ``place`` (the caller has already acknowledged Slack)."""
        self.store.join_thread(place.thread_id)
        placeholder: str | None = None
        async with self.locks.hold(place.thread_id):
            waiting = await self.service.apending_approval(place.thread_id)
            if waiting is not None:
                await self.tell_waiting(client, place, waiting)
                return
            native: NativeStream | None = None
            try:
                await self._status(client, place, "is thinking…")
                events = self.service.aevents(text, principal, place.thread_id)
                native = await self._start_native(client, place)
                if native is not None:
                    await self._publish_native(client, place, await native.follow(events), native)
                    return
                fallback, blocks = render.progress_message("", "thinking…")
                posted = await client.chat_postMessage(
                    channel=place.channel, thread_ts=place.thread_ts, text=fallback, blocks=blocks
                )
                placeholder = posted["ts"]
                finished = await self._stream(client, place, placeholder, events)
                await self.publish(client, place, finished, message_ts=placeholder)
            except AwaitingApproval as exc:  # another replica's turn stopped at an approval meanwhile
                if native is not None:
                    await self._stop_quietly(native, render.escape(waiting_text(exc.request)))
                else:
                    await self.tell_waiting(client, place, exc.request, message_ts=placeholder)
            except Exception as exc:  # never silence: say so in the thread
                log.exception("Slack turn failed in %s", place.thread_id)
                what = f"I could not answer that ({type(exc).__name__})."
                if native is not None:
                    await self._stop_quietly(native, f":warning: Sorry, {what}")
                else:
                    await self.apologise(client, place, what, message_ts=placeholder)
            finally:
                await self._status(client, place, "")

    async def _stream(
        self, client: AsyncWebClient, place: Place, ts: str, events: AsyncIterator[TurnEvent]
    ) -> Finished:
        """Show the turn's progress in message ``ts``; the turn's :class:`Finished` event."""
        texts: dict[str, str] = {}
        order: list[str] = []
        status = "thinking…"
        last_update = time.monotonic()
        shown = ("", status)
        finished: Finished | None = None
        async for event in events:
            if isinstance(event, Finished):
                finished = event
            elif isinstance(event, Token):
                key = event.message_id or "_"
                if key not in texts:
                    texts[key] = ""
                    order.append(key)
                texts[key] += event.text
            elif isinstance(event, ToolStarted):
                status = f"running {event.name}…"
            elif isinstance(event, ToolFinished):
                status = "thinking…"
            else:
                continue
            partial = redact_text(texts[order[-1]]) if order else ""
            now = time.monotonic()
            if (partial, status) != shown and now - last_update >= self.update_interval:
                fallback, blocks = render.progress_message(partial, status)
                try:
                    await client.chat_update(channel=place.channel, ts=ts, text=fallback, blocks=blocks)
                except Exception as exc:  # progress is cosmetic (e.g. rate-limited); the answer still comes
                    log.warning("progress update failed in %s: %s", place.thread_id, exc)
                if status != shown[1]:
                    await self._status(client, place, f"is {status}")
                shown, last_update = (partial, status), now
        if finished is None:
            raise RuntimeError("the turn ended without an outcome")
        return finished

    # --- Slack's native streaming (the chat.update path above is the fallback) -----------------
    async def _start_native(self, client: AsyncWebClient, place: Place) -> NativeStream | None:
        if not self.native_streaming:
            return None
        try:
            return await NativeStream.start(
                client, channel=place.channel, thread_ts=place.thread_ts, team=place.team, user=place.user
            )
        except StreamRefused as exc:
            log.info("native streaming refused in %s (%s): falling back to chat.update", place.channel, exc)
            return None

    async def _publish_native(
        self, client: AsyncWebClient, place: Place, finished: Finished, native: NativeStream
    ) -> None:
        """Stop the stream with the answer's sources, entities and feedback buttons; or, when the turn
        stopped for an approval, stop it and post the request with its buttons."""
        request = (finished.interrupt or {}).get("request")
        if request:
            await native.stop(text=":raised_hand: This needs an approval first:")
            await self.request_approval(client, place, request)
            return
        citations = [citation.model_dump() for citation in finished.citations]
        blocks = [
            *render.answer_context(citations=citations, refs=finished.refs),
            render.feedback_block(self.service.turn_count(place.thread_id)),
        ]
        await native.stop(blocks=blocks)
        await self._upload_charts(client, place, finished)

    @staticmethod
    async def _stop_quietly(native: NativeStream, text: str) -> None:
        try:
            await native.stop(text=text)
        except Exception:
            log.exception("could not stop the Slack stream %s", native.ts)

    async def tell_waiting(
        self, client: AsyncWebClient, place: Place, request: ApprovalRequest, *, message_ts: str | None = None
    ) -> None:
        """A thread stopped at an approval takes no new question (the service refuses it): say why."""
        text = render.escape(waiting_text(request))
        if message_ts:
            await client.chat_update(channel=place.channel, ts=message_ts, text=text, blocks=[])
        else:
            await client.chat_postMessage(channel=place.channel, thread_ts=place.thread_ts, text=text)

    # --- publishing a result -------------------------------------------------------------------
    async def publish(
        self, client: AsyncWebClient, place: Place, finished: Finished, *, message_ts: str | None = None
    ) -> None:
        """The final answer or approval request of a turn, replacing ``message_ts`` when given."""
        if finished.interrupt and finished.interrupt.get("request"):
            await self.request_approval(client, place, finished.interrupt["request"], message_ts=message_ts)
            return
        citations = [citation.model_dump() for citation in finished.citations]
        fallback, blocks = render.answer_message(
            finished.answer,
            citations=citations,
            refs=finished.refs,
            feedback_turn=self.service.turn_count(place.thread_id),
        )
        if message_ts:
            await client.chat_update(channel=place.channel, ts=message_ts, text=fallback, blocks=blocks)
        else:
            await client.chat_postMessage(
                channel=place.channel, thread_ts=place.thread_ts, text=fallback, blocks=blocks
            )
        await self._upload_charts(client, place, finished)

    async def _upload_charts(self, client: AsyncWebClient, place: Place, finished: Finished) -> None:
        for path, title in list(_charts(finished))[:MAX_CHARTS]:
            try:
                await client.files_upload_v2(
                    channel=place.channel, thread_ts=place.thread_ts, file=str(path), filename=path.name, title=title
                )
            except Exception as exc:  # the answer is there; say the chart is missing
                log.warning("chart upload failed for %s: %s", path.name, exc)
                await self.apologise(client, place, f"I could not upload the chart {path.name}.")

    async def request_approval(
        self, client: AsyncWebClient, place: Place, request: dict[str, Any], *, message_ts: str | None = None
    ) -> None:
        fallback, blocks = render.approval_message(request, requested_by_slack=place.user)
        if message_ts:
            await client.chat_update(channel=place.channel, ts=message_ts, text=fallback, blocks=blocks)
            ts = message_ts
        else:
            posted = await client.chat_postMessage(
                channel=place.channel, thread_ts=place.thread_ts, text=fallback, blocks=blocks
            )
            ts = posted["ts"]
        self.store.add_approval_message(request["id"], place.channel, ts)
        team_channel = self.team_channel(request.get("target", ""))
        if team_channel and team_channel != place.channel:
            origin = f"Requested by <@{place.user}> in <#{place.channel}>" if place.user else None
            fallback, blocks = render.approval_message(request, requested_by_slack=place.user, origin=origin)
            try:
                posted = await client.chat_postMessage(channel=team_channel, text=fallback, blocks=blocks)
                self.store.add_approval_message(request["id"], team_channel, posted["ts"])
            except Exception as exc:  # the thread copy is enough to decide; log the channel problem
                log.warning("could not post approval %s to team channel %s: %s", request["id"], team_channel, exc)

    def team_channel(self, target: str) -> str | None:
        """The owning team's channel: a ``slack.com/channel-id`` annotation on the owner Group."""
        try:
            catalog = self.service.runtime.catalog
            owner = catalog.owner_of(target)
            group = catalog.get(owner, default_kind="group") if owner else None
        except Exception:
            return None
        annotations = (group.metadata.annotations or {}) if group is not None else {}
        for key in TEAM_CHANNEL_ANNOTATIONS:
            if annotations.get(key):
                return str(annotations[key])
        return None

    # --- small helpers -------------------------------------------------------------------------
    async def apologise(
        self, client: AsyncWebClient, place: Place, what: str, *, message_ts: str | None = None
    ) -> None:
        fallback, blocks = render.error_message(redact_text(what))
        try:
            if message_ts:
                await client.chat_update(channel=place.channel, ts=message_ts, text=fallback, blocks=blocks)
            else:
                await client.chat_postMessage(
                    channel=place.channel, thread_ts=place.thread_ts, text=fallback, blocks=blocks
                )
        except Exception:
            log.exception("could not tell %s about an error", place.thread_id)

    async def _status(self, client: AsyncWebClient, place: Place, status: str) -> None:
        """The assistant status line (assistant threads only; a failure here is cosmetic)."""
        if not place.assistant:
            return
        try:
            await client.assistant_threads_setStatus(channel_id=place.channel, thread_ts=place.thread_ts, status=status)
        except Exception as exc:
            log.debug("assistant.threads.setStatus failed: %s", exc)


def waiting_text(request: ApprovalRequest) -> str:
    return (
        f":raised_hand: This thread is waiting for a decision on request `{request.id}` "
        f"({request.action} on {request.target}): decide it first, with the buttons above (approvers: "
        f"{', '.join(request.approvers) or 'none'}; you may reject your own request), or ask me in a new thread."
    )


def _charts(finished: Finished) -> Iterator[tuple[Path, str]]:
    """The PNG charts the turn's tools attached; only real PNGs of sane size are sent."""
    for attachment in finished.attachments:
        if attachment.media_type != "image/png":
            continue
        path = Path(attachment.path)
        try:
            if not path.is_file() or path.stat().st_size > MAX_CHART_BYTES:
                continue
            with open(path, "rb") as fh:
                if fh.read(8) != PNG_MAGIC:
                    continue
        except OSError:
            continue
        yield path, attachment.title or path.stem
