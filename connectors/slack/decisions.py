"""Approve / Reject button clicks → a decision the service checks, with the clicker's identity.

The connector never decides who may approve: it resolves the clicker (Slack user → email →
catalog User) and hands the decision to the service, which checks it against the policy. A refusal
is explained to the clicker alone (``chat.postEphemeral``) and the request stays pending for someone
else; an accepted decision updates every copy of the request message with the decision and the
result, and the conversation continues in the thread. A request nobody decides in time is closed
the same way by a periodic sweep (:meth:`Decisions.expire_overdue`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from agent.events import outcome
from agent.gate.policy import ApprovalDecision
from agent.redact import redact, redact_text
from connectors.slack import render
from connectors.slack.turns import Conversations, Place

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from agent.service import AgentService
    from connectors.slack.identity import SlackIdentities

log = logging.getLogger(__name__)


class Decisions:
    def __init__(self, service: AgentService, conversations: Conversations, identities: SlackIdentities):
        self.service = service
        self.conversations = conversations
        self.identities = identities

    async def handle(self, client: AsyncWebClient, body: dict[str, Any], kind: str) -> None:
        """A click on Approve (``kind="approve"``) or Reject; Slack has been acknowledged already."""
        from agent.service import DecisionRefused

        user_id = (body.get("user") or {}).get("id")
        team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        actions = body.get("actions") or [{}]
        request_id, digest = render.parse_button_value(actions[0].get("value", ""))

        async def tell(text: str) -> None:
            if not (channel and user_id):
                return
            try:
                await client.chat_postEphemeral(channel=channel, user=user_id, text=redact_text(text))
            except Exception:
                log.exception("could not send an ephemeral message to %s", user_id)

        found = self.service.approval(request_id) if request_id else None
        if found is None:
            await tell(f"I cannot find approval request `{request_id or '?'}`.")
            return
        request = found.request
        approver = await self.identities.resolve(client, user_id, team)
        decision = ApprovalDecision(
            request_id=request.id,
            decision=kind,
            approver=approver.ref,
            args_hash=digest if kind == "approve" else request.args_hash,
            comment=f"{kind} via Slack by <@{user_id}>",
        )
        parsed = render.parse_thread_id(request.thread_id)
        place = Place(team=parsed[0], channel=parsed[1], thread_ts=parsed[2]) if parsed else None
        expired = request.expired
        async with self.conversations.locks.hold(request.thread_id or request.id):
            try:
                checked = self.service.check_decision(decision, approver)
                finished = await outcome(self.service.aresume_events(checked, decision, approver))
            except DecisionRefused as exc:
                reason = str(exc)
                still = "" if "already" in reason else " The request stays pending for an allowed approver."
                await tell(f"You cannot {kind} this request: {reason}.{still}")
                return
            except Exception as exc:
                log.exception("deciding %s failed", request.id)
                await tell(f"Sorry, deciding request {request.id} failed ({type(exc).__name__}).")
                if place is not None:
                    await self.conversations.apologise(client, place, f"deciding request {request.id} failed.")
                return
            stored = self.service.approval(request.id)
            status = "expired" if expired else (stored.status if stored else kind)
            mutation = redact(self.service.approval_outcome(request.id))
            await self._update_messages(client, request.model_dump(mode="json"), status, f"<@{user_id}>", mutation)
            if place is not None and finished is not None:
                try:
                    await self.conversations.publish(client, place, finished)
                except Exception as exc:
                    log.exception("publishing the outcome of %s failed", request.id)
                    await self.conversations.apologise(
                        client, place, f"I could not post the outcome ({type(exc).__name__})."
                    )

    async def expire_overdue(self, client: AsyncWebClient) -> int:
        """Close the overdue requests of Slack threads (:mod:`agent.gate.expiry`); returns how many.

        Every copy of the request message shows it expired, and the thread gets the outcome.
        """
        closed = 0
        for request in self.service.overdue():
            parsed = render.parse_thread_id(request.thread_id)
            if parsed is None:
                continue  # another connector's conversation
            place = Place(team=parsed[0], channel=parsed[1], thread_ts=parsed[2])
            async with self.conversations.locks.hold(request.thread_id):
                try:
                    finished = await outcome(self.service.aexpire_events(request))
                except Exception:
                    log.exception("closing overdue request %s failed", request.id)
                    continue
                if finished is None:
                    continue  # decided meanwhile
                closed += 1
                await self._update_messages(client, request.model_dump(mode="json"), "expired", "", None)
                try:
                    await self.conversations.publish(client, place, finished)
                except Exception:
                    log.exception("publishing the expiry of %s failed", request.id)
        return closed

    async def _update_messages(
        self, client: AsyncWebClient, request: dict[str, Any], status: str, who: str, result: dict[str, Any] | None
    ) -> None:
        fallback, blocks = render.decision_message(request, status=status, who=who, result=result)
        for channel, ts in self.conversations.store.approval_messages(request["id"]):
            try:
                await client.chat_update(channel=channel, ts=ts, text=fallback, blocks=blocks)
            except Exception as exc:
                log.warning("could not update approval message %s/%s: %s", channel, ts, exc)
