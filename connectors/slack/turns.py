"""One conversation turn in a Slack thread: status, progressive answer, final Block Kit message.

The flow, after Slack has been acknowledged:

1. a placeholder reply is posted in the thread (and, in assistant DM threads, a status is set);
2. the graph runs through :meth:`AgentService.astream`; model tokens and tool activity update the
   placeholder with ``chat.update``, at most once per ``update_interval`` seconds (Slack rate-limits
   ``chat.update``);
3. the placeholder becomes the final answer (sections, tables as fields, context lines with
   citations and entity refs); charts found in tool results are uploaded into the thread; or, if
   the graph stopped for an approval, it becomes the approval request with its buttons, also posted
   in the owning team's channel when the catalog names one.

Any failure ends as a short apology in the thread, never as silence.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage

from agent.redact import redact_text
from agent.service import AwaitingApproval
from connectors.slack import render
from connectors.slack.store import SlackStore

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from agent.approvals import ApprovalRequest
    from agent.service import AgentService, TurnResult
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
    def __init__(self, service: AgentService, store: SlackStore, *, update_interval: float = 1.0, max_turns: int = 1):
        self.service = service
        self.store = store
        self.update_interval = update_interval
        self.locks = ThreadLocks()
        # Turns share the process (and its GIL) with the acknowledgements of new deliveries; running
        # few at a time keeps acks fast under bursts and costs no throughput on a CPU-bound model.
        # The connector holds a slot for a whole question or click (identity lookup included).
        self.slots = asyncio.Semaphore(max_turns)

    async def graph(self):
        return await self.service.agraph()

    @staticmethod
    def config(thread_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": thread_id}}

    async def messages(self, thread_id: str) -> list[Any]:
        graph = await self.graph()
        return (await graph.aget_state(self.config(thread_id))).values.get("messages", [])

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
            try:
                await self._status(client, place, "is thinking…")
                fallback, blocks = render.progress_message("", "thinking…")
                posted = await client.chat_postMessage(
                    channel=place.channel, thread_ts=place.thread_ts, text=fallback, blocks=blocks
                )
                placeholder = posted["ts"]
                before = len(await self.messages(place.thread_id))
                payload = {"messages": [HumanMessage(content=text)], "principal": principal.model_dump()}
                await self._stream(client, place, placeholder, payload)
                result = await self.service.aturn_result(place.thread_id, before)
                await self.publish(client, place, result, before, message_ts=placeholder)
            except AwaitingApproval as exc:  # another replica's turn stopped at an approval meanwhile
                await self.tell_waiting(client, place, exc.request, message_ts=placeholder)
            except Exception as exc:  # never silence: say so in the thread
                log.exception("Slack turn failed in %s", place.thread_id)
                await self.apologise(
                    client, place, f"I could not answer that ({type(exc).__name__}).", message_ts=placeholder
                )
            finally:
                await self._status(client, place, "")

    async def _stream(self, client: AsyncWebClient, place: Place, ts: str, payload: dict[str, Any]) -> None:
        texts: dict[str, str] = {}
        order: list[str] = []
        status = "thinking…"
        last_update = time.monotonic()
        shown = ("", status)
        async for mode, data in self.service.astream(payload, place.thread_id, ["messages", "custom"]):
            if mode == "messages":
                chunk, meta = data
                if (meta or {}).get("langgraph_node") != "agent" or not isinstance(chunk, AIMessageChunk | AIMessage):
                    continue
                piece = chunk.content if isinstance(chunk.content, str) else ""
                if not piece:
                    continue
                key = chunk.id or "_"
                if key not in texts:
                    texts[key] = ""
                    order.append(key)
                texts[key] = (
                    piece
                    if isinstance(chunk, AIMessage) and not isinstance(chunk, AIMessageChunk)
                    else texts[key] + piece
                )
            elif mode == "custom" and isinstance(data, dict):
                if data.get("type") == "tool_start":
                    status = f"running {data.get('name')}…"
                elif data.get("type") == "tool_end":
                    status = "thinking…"
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
        self, client: AsyncWebClient, place: Place, result: TurnResult, before: int, *, message_ts: str | None = None
    ) -> None:
        """The final answer or approval request of a turn, replacing ``message_ts`` when given."""
        new = (await self.messages(place.thread_id))[before:]
        if result.interrupt and result.interrupt.get("request"):
            await self.request_approval(client, place, result.interrupt["request"], message_ts=message_ts)
            return
        fallback, blocks = render.answer_message(result.answer, citations=list(_citations(new)), refs=result.refs)
        if message_ts:
            await client.chat_update(channel=place.channel, ts=message_ts, text=fallback, blocks=blocks)
        else:
            await client.chat_postMessage(
                channel=place.channel, thread_ts=place.thread_ts, text=fallback, blocks=blocks
            )
        for path, title in list(_charts(new))[:MAX_CHARTS]:
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


def _artifacts(messages: list[Any]) -> Iterator[dict[str, Any]]:
    for message in messages:
        if isinstance(message, ToolMessage) and isinstance(message.artifact, dict):
            yield message.artifact


def _citations(messages: list[Any]) -> Iterator[dict[str, Any]]:
    for artifact in _artifacts(messages):
        for citation in artifact.get("citations") or []:
            if isinstance(citation, dict):
                yield citation


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, str(k))
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str):
        yield key, value


def _charts(messages: list[Any]) -> Iterator[tuple[Path, str]]:
    """PNG files named in tool results' data (cost charts); only real PNGs of sane size are sent."""
    seen: set[Path] = set()
    for artifact in _artifacts(messages):
        for key, value in _strings(artifact.get("data")):
            if not value.lower().endswith(".png") or "\n" in value:
                continue
            path = Path(value)
            try:
                if path in seen or not path.is_file() or path.stat().st_size > MAX_CHART_BYTES:
                    continue
                with open(path, "rb") as fh:
                    if fh.read(8) != PNG_MAGIC:
                        continue
            except OSError:
                continue
            seen.add(path)
            yield path, (key.replace("_", " ") if key and key not in ("path", "png") else path.stem)
