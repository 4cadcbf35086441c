"""The slack-bolt ``AsyncApp``: which Slack deliveries it listens to and what each one does.

Slack's rules shape it:

- **Acknowledge within 3 seconds.** Events are acknowledged by Bolt before their listener runs;
  commands and button clicks call ``ack()`` first thing. The work then runs in the listener's own
  asyncio task after the HTTP response (or Socket Mode envelope ack) has gone.
- **Exactly once.** Slack redelivers an event it thinks was not acknowledged (``X-Slack-Retry-Num``),
  and with several replicas any of them may receive it. A global middleware claims each delivery
  key (event id, interaction trigger id) in the shared SQLite database with ``INSERT OR IGNORE``;
  only the claimant answers, every other copy is acknowledged and dropped.
- **One bad event never stops the app.** Every listener catches its own failures and tells the user.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from agent.events import Finished
from agent.service import AwaitingApproval
from agent.storage.database import database
from agent.telemetry.metrics import metrics_for
from connectors.slack import render
from connectors.slack.decisions import Decisions
from connectors.slack.deliveries import FinishDeliveries
from connectors.slack.identity import SlackIdentities
from connectors.slack.store import SlackStore
from connectors.slack.turns import Conversations, Place, waiting_text

if TYPE_CHECKING:
    from agent.service import AgentService
    from contract.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
OFFLINE_MAX_TURNS = 1  # the offline planner is CPU-bound: one turn at a time leaves the acks room
REMOTE_MAX_TURNS = 8  # an LLM turn mostly waits on the network
COMMAND = "/portal"

SUGGESTED_PROMPTS = [
    {"title": "Who owns a service?", "message": "Who owns checkout?"},
    {"title": "Blast radius", "message": "What breaks if orders-db goes down?"},
    {"title": "Why is it failing?", "message": "Why is checkout crashlooping?"},
    {"title": "What did it cost?", "message": "What did search cost last month?"},
]

HELP = (
    "*Ask me about the developer portal.*\n"
    "• `/portal who owns checkout?` — I answer in a thread you can follow up in\n"
    "• `/portal approvals` — approval requests waiting for you\n"
    "• mention me in a channel, or write to me directly\n"
    "Changes (restarts, scaling, new repositories) wait for an approval button."
)


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    raw = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return raw or None


def api_url(settings: Settings) -> str:
    """The Web API base URL (``PORTAL_AGENT_SLACK_API_URL``, for proxies and tests), ending in a slash."""
    url = settings.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def delivery_key(body: dict[str, Any]) -> str | None:
    """What identifies one delivery across Slack's retries: the event id, or the interaction's trigger."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("command") and body.get("trigger_id"):
        return f"command:{body['trigger_id']}"
    if body.get("type") == "block_actions":
        if body.get("trigger_id"):
            return f"action:{body['trigger_id']}"
        action = (body.get("actions") or [{}])[0]
        if action.get("action_ts"):
            return f"action:{(body.get('user') or {}).get('id')}:{action['action_ts']}"
    return None


def strip_mention(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = text.replace(f"<@{bot_user_id}>", " ")
    return re.sub(r"\s+", " ", text).strip()


class SlackConnector:
    """The pieces the listeners share: the service, the store, identities, conversations, decisions."""

    def __init__(self, service: AgentService, *, update_interval: float = 1.0, max_turns: int = OFFLINE_MAX_TURNS):
        self.service = service
        runtime = service.runtime
        self.store = SlackStore(database(runtime), lease_seconds=runtime.settings.slack_claim_lease_seconds)
        self.identities = SlackIdentities(service)
        self.conversations = Conversations(
            service,
            self.store,
            update_interval=update_interval,
            max_turns=max_turns,
            native_streaming=service.runtime.settings.slack_native_streaming,
        )
        self.decisions = Decisions(service, self.conversations, self.identities)
        self.max_turns = max_turns

    async def drain(self, grace: float) -> bool:
        """At shutdown: wait up to ``grace`` seconds until no turn or decision holds a turn slot.

        The slots are kept once taken, so nothing queued starts afterwards. False when some were
        still running at the deadline (they are cut off; the graph resumes from its checkpoint).
        """

        async def take_all() -> None:
            for _ in range(self.max_turns):
                await self.conversations.slots.acquire()

        try:
            await asyncio.wait_for(take_all(), grace)
        except TimeoutError:
            log.warning("shutdown: Slack turns still running after %.0f s are cut off", grace)
            return False
        return True

    async def question(self, client: AsyncWebClient, place: Place, text: str) -> None:
        async with self.conversations.slots:
            await self._question(client, place, text)

    async def _question(self, client: AsyncWebClient, place: Place, text: str) -> None:
        try:
            principal = await self.identities.resolve(client, place.user, place.team)
            if not text:
                await client.chat_postMessage(channel=place.channel, thread_ts=place.thread_ts, text=HELP)
                return
            await self.conversations.answer(client, place, text, principal)
        except Exception as exc:
            log.exception("question in %s failed", place.thread_id)
            await self.conversations.apologise(client, place, f"I could not answer that ({type(exc).__name__}).")

    async def recover(self, client: AsyncWebClient) -> int:
        """At start-up: finish the approved changes a killed process left in Slack threads, and post
        each outcome (executed, failed, or unknown — check the target) in its thread."""
        results = await asyncio.to_thread(
            self.service.recover_interrupted, lambda thread_id: render.parse_thread_id(thread_id) is not None
        )
        for result in results:
            team, channel, thread_ts = render.parse_thread_id(result.thread_id)
            place = Place(team=team, channel=channel, thread_ts=thread_ts)
            self.store.join_thread(place.thread_id)
            try:  # the recovered outcome as text: its citations and charts are not looked up
                await self.conversations.publish(client, place, Finished(**result.model_dump()))
            except Exception:
                log.exception("could not post the recovered outcome in %s", place.thread_id)
        return len(results)

    async def sweep(self, client: AsyncWebClient) -> None:
        """Periodically: close overdue requests, and settle what a replica that died left in Slack threads."""
        await self.decisions.expire_overdue(client)
        await self.recover(client)

    async def pending(self, client: AsyncWebClient, channel: str, user: str, team: str | None) -> None:
        principal = await self.identities.resolve(client, user, team)
        requests = self.service.pending_for(principal)
        if not requests:
            text = "No approval requests are waiting for you."
        else:
            lines = [
                f"• `{r.id}` {r.action} on {r.target} (risk {r.risk}, requested by {r.requested_by})"
                for r in requests[:20]
            ]
            text = "Approval requests waiting for you:\n" + "\n".join(lines)
        await client.chat_postEphemeral(channel=channel, user=user, text=text)


def default_max_turns(settings: Settings) -> int:
    """``slack_max_concurrent_turns`` if set; else by model (measured in ``benchmarks/slack_ack.py``)."""
    configured = getattr(settings, "slack_max_concurrent_turns", None)
    if configured:
        return int(configured)
    return OFFLINE_MAX_TURNS if (settings.model or "offline") == "offline" else REMOTE_MAX_TURNS


async def recover_slack_threads(service: AgentService) -> int:
    """:meth:`SlackConnector.recover` for a process that serves Slack through another app (``serve``)."""
    bolt = build_slack_app(service)
    return await bolt._portal_connector.recover(bolt.client)


def build_slack_app(
    service: AgentService,
    *,
    settings: Settings | None = None,
    update_interval: float = 1.0,
    max_turns: int | None = None,
) -> AsyncApp:
    """The Bolt app over ``service``, its Web API client pointed at ``settings.slack_api_url``.

    ``max_turns`` caps the turns (graph runs) in progress at once in this process; the others wait
    their turn after having been acknowledged. With the CPU-bound offline model one slot keeps
    acknowledgements fast under bursts (turns share the event loop and the GIL with them) at the
    same throughput; with a remote LLM turns mostly wait on the network, so more run at once.
    """
    settings = settings or service.runtime.settings
    client = AsyncWebClient(token=_secret(settings.slack_bot_token), base_url=api_url(settings))
    app = AsyncApp(
        client=client,
        signing_secret=_secret(settings.slack_signing_secret) or "",
        request_verification_enabled=True,  # Socket Mode requests skip it; HTTP ones never do
        process_before_response=False,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("connectors.slack.bolt"),
    )
    if max_turns is None:
        max_turns = default_max_turns(settings)
    connector = SlackConnector(service, update_interval=update_interval, max_turns=max_turns)
    app._portal_connector = connector  # type: ignore[attr-defined]  # for tests and the HTTP mount
    # A delivery is done once its listener finished (answered or apologised); one whose process
    # died first stays claimed only until its lease lapses (connectors.slack.store).
    app._async_listener_runner.listener_completion_handler = FinishDeliveries(connector.store, delivery_key)
    acks = metrics_for(service.runtime).slack_acks

    @app.middleware
    async def deduplicate(req, body, next):  # Bolt injects arguments by name
        key = delivery_key(body)
        kind = key.split(":", 1)[0] if key else "other"
        if key is not None and not connector.store.claim(key):
            acks.labels(kind, "duplicate").inc()
            log.info(
                "duplicate Slack delivery %s (retry %s, reason %s) acknowledged and dropped",
                key,
                req.headers.get("x-slack-retry-num", ["-"])[0],
                req.headers.get("x-slack-retry-reason", ["-"])[0],
            )
            return BoltResponse(status=200, body="")
        acks.labels(kind, "accepted").inc()
        await next()

    # --- conversations -------------------------------------------------------------------------
    @app.event("app_mention")
    async def on_mention(event, body, client, context):
        place = Place(
            team=body.get("team_id") or event.get("team"),
            channel=event["channel"],
            thread_ts=event.get("thread_ts") or event["ts"],
            user=event.get("user"),
        )
        await connector.question(client, place, strip_mention(event.get("text") or "", context.bot_user_id))

    @app.event("message")
    async def on_message(event, body, client, context):
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return  # edits, joins, bot posts (ours included)
        text = event.get("text") or ""
        team = body.get("team_id") or event.get("team")
        if event.get("channel_type") == "im":
            place = Place(
                team=team,
                channel=event["channel"],
                thread_ts=event.get("thread_ts") or event["ts"],
                user=event.get("user"),
                assistant=True,
            )
            await connector.question(client, place, strip_mention(text, context.bot_user_id))
            return
        thread_ts = event.get("thread_ts")
        if not thread_ts or (context.bot_user_id and f"<@{context.bot_user_id}>" in text):
            return  # not a thread reply, or a mention (answered through app_mention)
        place = Place(team=team, channel=event["channel"], thread_ts=thread_ts, user=event.get("user"))
        if connector.store.in_thread(place.thread_id):
            await connector.question(client, place, text.strip())

    @app.event("assistant_thread_started")
    async def on_assistant_thread(event, client):
        thread = event.get("assistant_thread") or {}
        try:
            await client.assistant_threads_setSuggestedPrompts(
                channel_id=thread["channel_id"],
                thread_ts=thread["thread_ts"],
                title="Try asking",
                prompts=SUGGESTED_PROMPTS,
            )
        except Exception as exc:
            log.warning("assistant.threads.setSuggestedPrompts failed: %s", exc)

    @app.event("assistant_thread_context_changed")
    async def on_assistant_context(event):
        return None  # nothing to keep: each thread is its own conversation

    # --- slash command -------------------------------------------------------------------------
    @app.command(COMMAND)
    async def on_command(ack, command, client, respond):
        text = (command.get("text") or "").strip()
        if text.lower() in ("", "help", "?"):
            await ack(response_type="ephemeral", text=HELP)
            return
        await ack()
        channel, user, team = command.get("channel_id"), command.get("user_id"), command.get("team_id")
        if text.lower() in ("approvals", "pending"):
            try:
                await connector.pending(client, channel, user, team)
            except Exception as exc:
                log.exception("listing approvals failed")
                await respond(
                    response_type="ephemeral", text=f":warning: Sorry, I could not list them ({type(exc).__name__})."
                )
            return
        try:
            anchor = await client.chat_postMessage(channel=channel, text=f"<@{user}> asked: {render.escape(text)}")
        except Exception as exc:  # e.g. not_in_channel: answer privately through the response URL
            log.info("cannot post in %s (%s); answering through response_url", channel, exc)
            await _answer_privately(connector, client, respond, command, text)
            return
        place = Place(team=team, channel=anchor.get("channel") or channel, thread_ts=anchor["ts"], user=user)
        await connector.question(client, place, text)

    # --- approvals -----------------------------------------------------------------------------
    @app.action(render.APPROVE_ACTION)
    async def on_approve(ack, body, client):
        await ack()
        await _decide(connector, client, body, "approve")

    @app.action(render.REJECT_ACTION)
    async def on_reject(ack, body, client):
        await ack()
        await _decide(connector, client, body, "reject")

    # --- feedback on answers -------------------------------------------------------------------
    @app.action(render.FEEDBACK_ACTION)
    async def on_feedback(ack, body, client):
        await ack()
        await _feedback(connector, client, body)

    @app.error
    async def on_error(error, body):
        log.error("unhandled error in a Slack listener: %s: %s", type(error).__name__, error)

    return app


async def _decide(connector: SlackConnector, client: AsyncWebClient, body: dict[str, Any], kind: str) -> None:
    try:
        async with connector.conversations.slots:
            await connector.decisions.handle(client, body, kind)
    except Exception as exc:
        log.exception("approval click failed")
        channel = (body.get("channel") or {}).get("id")
        user = (body.get("user") or {}).get("id")
        if channel and user:
            try:
                await client.chat_postEphemeral(
                    channel=channel, user=user, text=f":warning: Sorry, that click failed ({type(exc).__name__})."
                )
            except Exception:
                log.exception("could not report a failed click")


async def _feedback(connector: SlackConnector, client: AsyncWebClient, body: dict[str, Any]) -> None:
    """A thumbs up or down: stored with the turn it rates (the button's value names it)."""
    action = (body.get("actions") or [{}])[0]
    rating, turn = render.parse_feedback_value(str(action.get("value") or ""))
    message = body.get("message") or (body.get("container") or {})
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    thread_ts = message.get("thread_ts") or message.get("ts") or (body.get("container") or {}).get("thread_ts")
    team = (body.get("team") or {}).get("id")
    user = (body.get("user") or {}).get("id")
    try:
        principal = await connector.identities.resolve(client, user, team)
        await connector.service.afeedback(render.thread_id_for(team, channel, thread_ts), rating, principal, turn=turn)
        text = "Thanks — noted." if rating == "good" else "Thanks — noted; this answer goes to the eval backlog."
    except Exception as exc:
        log.warning("feedback not recorded: %s", exc)
        text = f":warning: Sorry, I could not record that ({type(exc).__name__})."
    if channel and user:
        try:
            await client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=text)
        except Exception:
            log.info("could not acknowledge feedback to %s", user)


async def _answer_privately(
    connector: SlackConnector, client: AsyncWebClient, respond, command: dict[str, Any], text: str
) -> None:
    try:
        principal = await connector.identities.resolve(client, command.get("user_id"), command.get("team_id"))
        thread_id = render.thread_id_for(
            command.get("team_id"), command.get("channel_id"), f"cmd-{command.get('trigger_id')}"
        )
        try:
            result = await connector.service.aask(text, principal, thread_id=thread_id)
        except AwaitingApproval as exc:
            await respond(response_type="ephemeral", text=render.escape(waiting_text(exc.request)))
            return
        if result.interrupt:
            fallback, blocks = render.approval_message(
                result.interrupt["request"], requested_by_slack=command.get("user_id")
            )
        else:
            fallback, blocks = render.answer_message(result.answer, refs=result.refs)
        await respond(response_type="ephemeral", text=fallback, blocks=blocks)
    except Exception as exc:
        log.exception("private answer failed")
        await respond(
            response_type="ephemeral", text=f":warning: Sorry, I could not answer that ({type(exc).__name__})."
        )
