"""Approval requests, decisions and the policy that checks them.

A mutating tool call never runs on the model's say-so. The gate (:mod:`agent.gate.gate`) turns it
into an :class:`ApprovalRequest` (action, target entity, dry-run preview, risk, who may approve, expiry),
stops with ``interrupt()``, and only continues with a :class:`ApprovalDecision` that
:class:`ApprovalPolicy` accepts: an allowed approver, not expired, bound to the exact arguments,
not already decided, and — in production — not the requester (four eyes).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from contract.tooling import Preview, Risk

if TYPE_CHECKING:
    from contract.catalog import Catalog
    from contract.principal import Principal


def args_hash(tool: str, args: dict[str, Any]) -> str:
    """The fingerprint a decision is bound to: the tool and its exact arguments."""
    canonical = json.dumps({"tool": tool, "args": args}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def request_id_for(thread_id: str | None, tool_call_id: str) -> str:
    """Deterministic, so that a replayed graph node finds the request it already created."""
    return f"apr_{uuid.uuid5(uuid.NAMESPACE_URL, f'{thread_id}/{tool_call_id}').hex[:20]}"


def now_utc() -> datetime:
    return datetime.now(UTC)


class ApprovalRequest(BaseModel):
    id: str
    thread_id: str | None = None
    tool_call_id: str
    tool: str
    action: str
    args: dict[str, Any]
    args_hash: str
    target: str = Field(description="Entity ref the action acts on")
    requested_by: str
    preview: Preview
    risk: Risk
    lifecycle: str | None = None
    approvers: list[str] = Field(description="Users and groups who may approve")
    four_eyes: bool = False
    created_at: datetime
    expires_at: datetime

    @property
    def expired(self) -> bool:
        return now_utc() >= self.expires_at

    def describe(self) -> str:
        return f"{self.action} on {self.target} ({self.tool} {json.dumps(self.args, sort_keys=True)})"


class ApprovalDecision(BaseModel):
    """What a person decided. Connectors fill ``approver`` from authenticated identity only."""

    request_id: str
    decision: Literal["approve", "reject", "edit"]
    approver: str
    args_hash: str | None = Field(None, description="Hash of the arguments the approver saw")
    edited_args: dict[str, Any] | None = None
    comment: str | None = None


class Verdict(BaseModel):
    ok: bool
    reason: str


class ApprovalPolicy:
    """Who may approve what. Owners and on-call of the target, plus admin groups."""

    def __init__(
        self,
        catalog: Catalog | None,
        *,
        admin_groups: list[str] | None = None,
        four_eyes_production: bool = True,
        ttl: timedelta = timedelta(minutes=30),
    ):
        self.catalog = catalog
        self.admin_groups = [_group_ref(g) for g in admin_groups or []]
        self.four_eyes_production = four_eyes_production
        self.ttl = ttl

    # --- building requests ---------------------------------------------------------------------
    def approvers_for(self, target: str) -> list[str]:
        approvers: list[str] = []
        if self.catalog is not None:
            owner = self.catalog.owner_of(target)
            if owner:
                approvers.append(owner)
            approvers.extend(self.catalog.oncall_of(target))
        approvers.extend(self.admin_groups)
        return list(dict.fromkeys(approvers))

    def lifecycle_of(self, target: str) -> str | None:
        return self.catalog.lifecycle_of(target) if self.catalog is not None else None

    def new_request(
        self,
        *,
        tool: str,
        action: str,
        args: dict[str, Any],
        target: str,
        requested_by: str,
        preview: Preview,
        risk: Risk,
        tool_call_id: str,
        thread_id: str | None,
    ) -> ApprovalRequest:
        lifecycle = self.lifecycle_of(target)
        created = now_utc()
        return ApprovalRequest(
            id=request_id_for(thread_id, tool_call_id),
            thread_id=thread_id,
            tool_call_id=tool_call_id,
            tool=tool,
            action=action,
            args=args,
            args_hash=args_hash(tool, args),
            target=target,
            requested_by=requested_by,
            preview=preview,
            risk=risk,
            lifecycle=lifecycle,
            approvers=self.approvers_for(target),
            four_eyes=self.four_eyes_production and lifecycle == "production",
            created_at=created,
            expires_at=created + self.ttl,
        )

    def edited(
        self, request: ApprovalRequest, *, args: dict[str, Any], target: str, preview: Preview, risk: Risk
    ) -> ApprovalRequest:
        """The request an edit decision creates: the same request id and requester, everything else
        (target, approvers, lifecycle, risk, four eyes, argument hash) computed afresh from the
        edited arguments, exactly as for a new request. Nothing is carried over from the original,
        so an edit cannot move a change onto an entity under rules that were never checked for it.
        """
        fresh = self.new_request(
            tool=request.tool,
            action=request.action,
            args=args,
            target=target,
            requested_by=request.requested_by,
            preview=preview,
            risk=risk,
            tool_call_id=request.tool_call_id,
            thread_id=request.thread_id,
        )
        return fresh.model_copy(
            update={"id": request.id, "created_at": request.created_at, "expires_at": request.expires_at}
        )

    # --- checking decisions --------------------------------------------------------------------
    def may_approve(self, approver: Principal, request: ApprovalRequest) -> Verdict:
        if approver.read_only or approver.is_anonymous:
            return Verdict(ok=False, reason=f"{approver.ref} is not identified and has read-only access")
        allowed = set(request.approvers)
        # Group membership comes from the catalog, never from the decision's payload.
        groups = self.catalog.groups_of(approver.ref) if self.catalog is not None else approver.groups
        mine = {approver.ref, *groups}
        if not allowed & mine:
            who = ", ".join(request.approvers) or "nobody (no owner or on-call in the catalog, no admin group)"
            return Verdict(ok=False, reason=f"{approver.ref} may not approve this; allowed: {who}")
        if request.four_eyes and approver.ref == request.requested_by:
            return Verdict(
                ok=False,
                reason=f"{request.target} is in production: the requester may not approve their own request",
            )
        return Verdict(ok=True, reason="allowed")

    def check(self, request: ApprovalRequest, decision: ApprovalDecision, approver: Principal) -> Verdict:
        """Whether ``decision`` by ``approver`` validly decides ``request``.

        A rejection needs no authority beyond being an allowed approver or the requester (anyone
        may withdraw their own request); an approval or edit needs the full policy.
        """
        if decision.request_id != request.id:
            return Verdict(ok=False, reason=f"decision is for {decision.request_id}, not {request.id}")
        if decision.approver != approver.ref:
            return Verdict(ok=False, reason="decision's approver does not match the authenticated identity")
        if request.expired:
            return Verdict(ok=False, reason=f"the request expired at {request.expires_at.isoformat()}")
        if decision.decision == "reject":
            if approver.ref == request.requested_by:
                return Verdict(ok=True, reason="withdrawn by the requester")
            return self.may_approve(approver, request)
        if decision.decision == "approve" and decision.args_hash != request.args_hash:
            return Verdict(
                ok=False,
                reason="the arguments changed after the request was shown; approve the current request",
            )
        return self.may_approve(approver, request)

    def check_edit(
        self, request: ApprovalRequest, edited: ApprovalRequest, decision: ApprovalDecision, approver: Principal
    ) -> Verdict:
        """Whether an edit decision may approve ``edited`` (built by :meth:`edited`) in place of ``request``.

        An edit is a new request decided on the spot, so the approver must pass the full policy for
        the edited request (its target's approvers, four eyes when it is in production) and for
        the original one: the edit must not let anyone decide what they could not have approved.
        """
        verdict = self.check(request, decision, approver)
        if not verdict.ok:
            return verdict
        edited_verdict = self.may_approve(approver, edited)
        if not edited_verdict.ok:
            return Verdict(ok=False, reason=f"the edit moves the change to {edited.target}: {edited_verdict.reason}")
        return edited_verdict


def _group_ref(name: str) -> str:
    return name if ":" in name else f"group:default/{name}"
