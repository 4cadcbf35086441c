"""The approval gate: the one object that answers every approval question.

- which calls of a model turn need a decision (:meth:`Gate.to_review`): the mutating ones;
- review one (:meth:`Gate.review`): a request built from the call's dry run, stored and audited,
  then ``interrupt()`` until a decision comes back, which is checked again here;
- whether a decision may resume its conversation (:meth:`Gate.check_decision`), an edit judged as
  the new request its arguments make (:meth:`Gate.judge`), and claimed so it is applied once;
- the request a conversation waits on (:meth:`Gate.pending`), from its checkpoint and the store;
- run an approved call exactly once (:meth:`Gate.execute`): bound to the approved arguments, claimed
  in the store first, a run a crash cut short recorded as outcome unknown, never run again.

The gate reads a conversation from the graph snapshot its caller passes, and never runs the graph
itself (the service does), so it is tested without one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from langchain_core.messages import AIMessage
from langgraph.types import Command, StateSnapshot, interrupt

from agent.audit import AuditLog
from agent.audit_pg import audit_log
from agent.gate.expiry import EXPIRY_PRINCIPAL
from agent.gate.policy import ApprovalDecision, ApprovalPolicy, ApprovalRequest, Verdict, args_hash, request_id_for
from agent.gate.store import DECIDED, ApprovalStore, StoredApproval, approval_store
from agent.identity import resolve_principal
from agent.redact import redact
from agent.runtime import Runtime
from agent.telemetry.metrics import metrics_for
from contract.principal import Principal
from contract.tooling import PortalTool, ToolContext, ToolResult

log = logging.getLogger(__name__)

# The demo organisation's SRE team approves anything, unless admin groups are configured.
DEMO_ADMIN_GROUPS = ["team-platform"]
OUTCOME_UNKNOWN = "outcome unknown — check the target"
PREVIEW_CHARS = 1500  # of a dry run shown to someone who may not request the change

# A conversation's checkpoint, read by thread id (the service passes its graph's ``get_state``).
StateOf = Callable[[str], StateSnapshot]


class DecisionRefused(Exception):
    """A decision the policy does not accept; the request stays as it was."""


@dataclass(frozen=True)
class Pending:
    """What holds a conversation: the request it waits on, and what must happen to it first.

    ``first`` is ``"expire"`` for a request past its expiry that nobody decided (it is closed,
    nothing runs) and ``"recover"`` for a run a crash cut short after a decision (it is finished):
    neither needs anyone, so neither may hold the conversation.
    """

    request: ApprovalRequest | None
    first: Literal["expire", "recover"] | None = None


@dataclass(frozen=True)
class Recovery:
    """What continues a run a crash cut short: ``None`` (apply the saved writes) or a resume."""

    input: Command | None


class Gate:
    """Everything approval: the policy, the store of requests and the audit log, built once per process."""

    def __init__(self, runtime: Runtime, policy: ApprovalPolicy, store: ApprovalStore, audit: AuditLog):
        self.runtime = runtime
        self.policy = policy
        self.store = store
        self.audit = audit
        self.metrics = metrics_for(runtime)
        self.metrics.watch_pending_approvals(lambda: len(store.pending()))

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> Gate:
        settings = runtime.settings
        try:
            catalog = runtime.catalog
        except Exception:  # no catalog configured: only admin groups may approve
            log.exception("catalog unavailable for the approval policy")
            catalog = None
        admin_groups = settings.admin_groups or (DEMO_ADMIN_GROUPS if settings.uses_demo else [])
        policy = ApprovalPolicy(
            catalog,
            admin_groups=admin_groups,
            four_eyes_production=settings.four_eyes_production,
            ttl=timedelta(minutes=settings.approval_ttl_minutes),
        )
        return cls(runtime, policy, approval_store(runtime), audit_log(runtime))

    # --- a model turn --------------------------------------------------------------------------
    def to_review(self, message: AIMessage, decided: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The calls of ``message`` that change something (and so need a decision), less ``decided``."""
        tools = self.runtime.tools
        return [
            call
            for call in message.tool_calls
            if call["name"] in tools and tools[call["name"]].mutating and call["id"] not in (decided or {})
        ]

    def review(self, call: dict[str, Any], principal: Principal, thread_id: str | None) -> dict[str, Any]:
        """Put one mutating call to an approver and return what became of it (the graph state's entry).

        Stops the run with ``interrupt()`` until a decision is resumed; a replay of this step after a
        crash finds the request (and any decision already recorded) in the store, not anew.
        """
        tool = self.runtime.tools[call["name"]]
        ctx = ToolContext(runtime=self.runtime, principal=principal, thread_id=thread_id)
        if principal.read_only:
            reason = f"{principal.ref} has read-only access and may not request changes" + self._shown(tool, call, ctx)
            return {"status": "refused", "reason": self._refuse_request(tool, call, principal, thread_id, reason)}
        request = self._request_for(tool, call, principal, thread_id, ctx)
        if isinstance(request, str):
            return {"status": "refused", "reason": request}
        resume = interrupt(
            {
                "type": "approval",
                "request": request.model_dump(mode="json"),
                # The HITL request shape used by LangChain's agent-chat-ui.
                "action_requests": [{"name": tool.name, "args": call["args"], "description": request.describe()}],
                "review_configs": [{"action_name": tool.name, "allowed_decisions": ["approve", "edit", "reject"]}],
            }
        )
        return self._apply_decision(request, resume, ctx)

    @staticmethod
    def _shown(tool: PortalTool, call: dict, ctx: ToolContext) -> str:
        """What the change would do, for someone who may not request it: its preview is a dry run
        (a rendered template, a server-side dry run), which changes nothing, so they still see it."""
        try:
            preview = tool.preview(tool.parse(call["args"]), ctx)
        except Exception:  # no preview, just the refusal
            return ""
        if not preview.ok:
            return ""
        details = f"\n{preview.details[:PREVIEW_CHARS]}" if preview.details else ""
        return f". What it would do (a dry run; nothing was changed): {preview.summary}{details}"

    def _refuse_request(
        self, tool: PortalTool, call: dict, principal: Principal, thread_id: str | None, reason: str
    ) -> str:
        """A request that cannot even be put to an approver: audited, and the reason returned."""
        self.audit.append(
            "approval.refused",
            tool=tool.name,
            args=call["args"],
            requested_by=principal.ref,
            reason=reason,
            thread_id=thread_id,
        )
        return reason

    def _request_for(
        self, tool: PortalTool, call: dict, principal: Principal, thread_id: str | None, ctx: ToolContext
    ) -> ApprovalRequest | str:
        """The request for this call: from the store if this step is being replayed, else new."""
        found = self.store.row(request_id_for(thread_id, call["id"]))
        if found is not None:
            return found.request
        try:
            parsed = tool.parse(call["args"])
            target = tool.target(parsed, ctx)
            preview = tool.preview(parsed, ctx)
        except Exception as exc:
            reason = f"could not prepare {tool.name}: {type(exc).__name__}: {exc}"
            return self._refuse_request(tool, call, principal, thread_id, reason)
        if not preview.ok:
            reason = f"the dry run of {tool.name} failed: {preview.error}"
            return self._refuse_request(tool, call, principal, thread_id, reason)
        request = self.policy.new_request(
            tool=tool.name,
            action=tool.action or tool.name,
            args=parsed.model_dump(mode="json"),
            target=target,
            requested_by=principal.ref,
            preview=preview,
            risk=tool.risk_of(parsed, ctx),
            tool_call_id=call["id"],
            thread_id=thread_id,
        )
        self.store.add_pending(request)
        self.metrics.approvals_requested.labels(tool.name).inc()
        self.audit.append(
            "approval.requested",
            request_id=request.id,
            tool=tool.name,
            args=request.args,
            target=target,
            requested_by=principal.ref,
            risk=request.risk,
            approvers=request.approvers,
            expires_at=request.expires_at,
            thread_id=thread_id,
        )
        return request

    def _apply_decision(self, request: ApprovalRequest, resume: Any, ctx: ToolContext) -> dict[str, Any]:
        stored = self.store.row(request.id)
        if stored is not None and stored.status in DECIDED:
            # A replay after a crash cut this step short: the decision was applied and audited once.
            return _recorded_outcome(stored)
        try:
            decision = ApprovalDecision.model_validate(resume["decision"])
            approver = Principal.model_validate(resume["approver"])
        except Exception as exc:
            return self._refused(request, f"malformed decision: {exc}")
        effective, verdict = self.judge(request, decision, approver, ctx)
        if not verdict.ok:
            return self._refused(request, verdict.reason, approver=approver.ref, decision=decision.decision)
        if decision.decision == "reject":
            self.audit.append(
                "approval.rejected", request_id=request.id, approver=approver.ref, comment=decision.comment
            )
            reason = decision.comment or f"rejected by {approver.ref}"
            self.store.finish(request.id, "rejected", {"reason": reason})
            self.metrics.approvals_decided.labels(
                "expired" if approver.ref == EXPIRY_PRINCIPAL.ref else "rejected"
            ).inc()
            return {**_outcome(request, approver.ref), "status": "rejected", "reason": reason}
        self.audit.append(
            "approval.approved",
            request_id=request.id,
            approver=approver.ref,
            decision=decision.decision,
            target=effective.target,
            args=effective.args,
            args_hash=effective.args_hash,
        )
        self.store.finish(request.id, "approved", request=effective)
        self.metrics.approvals_decided.labels("edited" if decision.decision == "edit" else "approved").inc()
        return _approved(effective, approver.ref)

    def _refused(self, request: ApprovalRequest, reason: str, **fields: Any) -> dict[str, Any]:
        self.audit.append("approval.refused", request_id=request.id, reason=reason, **fields)
        self.store.finish(request.id, "refused", {"reason": reason})
        self.metrics.approvals_decided.labels("refused").inc()
        return {**_outcome(request, fields.get("approver")), "status": "refused", "reason": reason}

    # --- decisions -----------------------------------------------------------------------------
    def judge(
        self, request: ApprovalRequest, decision: ApprovalDecision, approver: Principal, ctx: ToolContext
    ) -> tuple[ApprovalRequest, Verdict]:
        """The request ``decision`` would run (the edited one for an edit) and the policy's verdict on it.

        Asked both before a conversation resumes and when the decision reaches the graph, so an
        edit is checked the same way wherever the decision came from.
        """
        if decision.decision != "edit":
            return request, self.policy.check(request, decision, approver)
        edited = self.edited_request(request, decision, ctx)
        if isinstance(edited, str):
            return request, Verdict(ok=False, reason=edited)
        return edited, self.policy.check_edit(request, edited, decision, approver)

    def edited_request(
        self, request: ApprovalRequest, decision: ApprovalDecision, ctx: ToolContext
    ) -> ApprovalRequest | str:
        """The request for the edit's arguments, built like a new one; a string says why there is none."""
        tool = self.runtime.tools.get(request.tool)
        if tool is None:
            return f"{request.tool} is not available here"
        if not decision.edited_args:
            return "an edit decision must carry the edited arguments"
        try:
            parsed = tool.parse(decision.edited_args)
            target = tool.target(parsed, ctx)
            preview = tool.preview(parsed, ctx)
            risk = tool.risk_of(parsed, ctx)
        except Exception as exc:
            return f"the edited arguments are not valid for {tool.name}: {exc}"
        if not preview.ok:
            return f"the dry run of the edited {tool.name} failed: {preview.error}"
        return self.policy.edited(
            request, args=parsed.model_dump(mode="json"), target=target, preview=preview, risk=risk
        )

    def check_decision(self, decision: ApprovalDecision, approver: Principal, state_of: StateOf) -> ApprovalRequest:
        """Raise :class:`DecisionRefused` unless ``decision`` may resume its conversation now; claim it if so.

        A refusal leaves the request pending for someone else; the claim makes two simultaneous
        decisions decide it once.
        """
        found = self.store.row(decision.request_id)
        if found is None:
            raise DecisionRefused(f"no approval request {decision.request_id}")
        request = found.request
        if found.status == "deciding" and not self.store.lapsed(found):
            raise DecisionRefused(f"approval request {request.id} is already being decided")
        if not self.store.decidable(found):
            raise DecisionRefused(f"approval request {request.id} was already decided ({found.status})")
        if decision.approver != approver.ref:
            raise DecisionRefused("the decision's approver is not the authenticated user")
        if not self._awaited(request, state_of):
            self._close_stale(request, decision)
            raise DecisionRefused(f"approval request {request.id} is stale: its conversation no longer waits for it")
        if not request.expired:  # an expired one is resumed all the same: the graph records the expiry
            _effective, verdict = self.judge(request, decision, approver, self._context(request))
            if not verdict.ok:
                self.audit.append(
                    "approval.refused",
                    request_id=request.id,
                    approver=approver.ref,
                    decision=decision.decision,
                    reason=verdict.reason,
                    kept_pending=True,
                )
                raise DecisionRefused(verdict.reason)
        if not self.store.claim(request.id, "deciding", decision):
            raise DecisionRefused(f"approval request {request.id} is already being decided")
        return request

    def claim_expiry(self, request: ApprovalRequest, state_of: StateOf) -> ApprovalDecision | None:
        """The expiry's decision on an overdue request, claimed; None if not overdue or claimed meanwhile."""
        if not request.expired:
            return None
        decision = ApprovalDecision(
            request_id=request.id,
            decision="reject",
            approver=EXPIRY_PRINCIPAL.ref,
            args_hash=request.args_hash,
            comment="nobody decided before the request expired",
        )
        if not self._awaited(request, state_of):
            self._close_stale(request, decision)
            return None
        return decision if self.store.claim(request.id, "deciding", decision) else None

    def release(self, request_id: str) -> None:
        """A run that failed before the graph recorded the decision leaves the request decidable again."""
        self.store.release(request_id)

    def _awaited(self, request: ApprovalRequest, state_of: StateOf) -> bool:
        """Whether the request's conversation is stopped at this very request."""
        if request.thread_id is None:
            return False
        waiting = self.waiting_on(state_of(request.thread_id))
        return waiting is not None and waiting.request.id == request.id

    def _close_stale(self, request: ApprovalRequest, decision: ApprovalDecision) -> None:
        """Close a pending request its conversation no longer waits for (input ran past it before the
        service refused that), so that deciding it can never resume, and decide, another request."""
        if self.store.claim(request.id, "deciding", decision):
            reason = "the conversation is no longer waiting for this request"
            self.audit.append("approval.refused", request_id=request.id, approver=decision.approver, reason=reason)
            self.store.finish(request.id, "refused", {"reason": reason})
            self.metrics.approvals_decided.labels("stale").inc()

    def _context(self, request: ApprovalRequest) -> ToolContext:
        """What the request's tool sees while an edit is prepared: the requester's context."""
        principal = resolve_principal(self.runtime.catalog, request.requested_by)
        return ToolContext(runtime=self.runtime, principal=principal, thread_id=request.thread_id)

    # --- requests ------------------------------------------------------------------------------
    def waiting_on(self, snapshot: StateSnapshot) -> StoredApproval | None:
        """The stored request the conversation's pending interrupt is for, or None."""
        value = pending_interrupt(snapshot)
        if value is None or not value.get("request"):
            return None
        request = ApprovalRequest.model_validate(value["request"])
        return self.store.row(request.id) or StoredApproval(
            request=request, status="pending", updated_at=request.created_at
        )

    def pending(self, snapshot: StateSnapshot) -> Pending:
        """The request the conversation in ``snapshot`` waits on before it may take new input.

        The graph's checkpoint says where it stopped, the store what became of that request.
        """
        waiting = self.waiting_on(snapshot)
        if waiting is not None and waiting.request.expired and self.store.decidable(waiting):
            return Pending(waiting.request, "expire")
        if self._cut_short(snapshot, waiting):
            return Pending(waiting.request if waiting else None, "recover")
        return Pending(waiting.request if waiting else None)

    def _cut_short(self, snapshot: StateSnapshot, waiting: StoredApproval | None) -> bool:
        """Whether a process died in this conversation's run after a decision was recorded."""
        if waiting is not None:
            return waiting.status in DECIDED and waiting.holder_gone()
        if not snapshot.next:
            return False
        rows = self.store.for_thread(snapshot.config["configurable"]["thread_id"])
        return any(row.status in ("approved", "executing") and row.holder_gone() for row in rows)

    def overdue(self) -> list[ApprovalRequest]:
        """Requests past their expiry that nobody decided (see :mod:`agent.gate.expiry`)."""
        return [r for r in self.store.pending() if r.expired]

    def pending_for(self, approver: Principal) -> list[ApprovalRequest]:
        """Pending requests this person may decide."""
        return [r for r in self.store.pending() if not r.expired and self.policy.may_approve(approver, r).ok]

    def outcome(self, request_id: str) -> dict[str, Any] | None:
        """The recorded result of the approved action, once it ran."""
        done = self.audit.find(event="mutation.result", request_id=request_id)
        return done[-1].get("result") if done else None

    # --- recovery after a crash ----------------------------------------------------------------
    def recovery(self, snapshot: StateSnapshot) -> Recovery | None:
        """How to finish the run a crash cut short in ``snapshot``; None if there is none (or it waits).

        A decision recorded before the crash is applied again from the store (the resume value
        only wakes the step up), so it is not audited twice.
        """
        if not snapshot.next and not _step_cut_short(snapshot):
            return None
        waiting = self.waiting_on(snapshot)
        if waiting is not None and waiting.status not in DECIDED:
            return None
        return Recovery(None if waiting is None else Command(resume={"recorded": waiting.status}))

    def interrupted_threads(self, owns: Callable[[str], bool]) -> list[str]:
        """Conversations ``owns`` accepts with an approved action whose claiming process is gone.

        A process started next to a live one leaves that one's work alone.
        """
        return list(
            dict.fromkeys(
                row.request.thread_id
                for row in self.store.with_status("approved", "executing")
                if row.request.thread_id and owns(row.request.thread_id) and row.holder_gone()
            )
        )

    # --- running an approved call --------------------------------------------------------------
    def execute(self, call: dict[str, Any], ctx: ToolContext, approval: dict[str, Any] | None) -> ToolResult:
        """Run a mutating call once: only as approved, with the approved arguments, claimed first."""
        tool = self.runtime.tools[call["name"]]
        query = {"tool": tool.name, **call["args"]}
        if not approval or approval.get("status") != "approved":
            reason = (approval or {}).get("reason", "no approval was given")
            status = (approval or {}).get("status", "missing")
            return ToolResult.failure(f"not executed: approval {status}: {reason}", query)
        run_args = approval["run_args"]
        if args_hash(tool.name, run_args) != approval.get("approved_hash"):
            return ToolResult.failure("not executed: arguments differ from the approved ones", query)
        request_id = approval["request"]["id"]
        if not self.store.start_execution(request_id):
            return self._not_started(request_id, query)
        self.audit.append(
            "mutation.executing",
            request_id=request_id,
            tool=tool.name,
            args=run_args,
            requested_by=ctx.principal.ref,
            approved_by=approval.get("decided_by"),
        )
        result = tool.run(run_args, ctx)
        summary = redact(result.model_dump(mode="json", exclude_none=True))
        self.store.finish(request_id, "executed" if result.ok else "failed", summary)
        self.metrics.approved_actions.labels("executed" if result.ok else "failed").inc()
        self.audit.append("mutation.result", request_id=request_id, tool=tool.name, ok=result.ok, result=summary)
        return result

    def _not_started(self, request_id: str, query: dict[str, Any]) -> ToolResult:
        """Why an approved call is not run now: it already ran, is running, or a crash hid its outcome."""
        found = self.store.row(request_id)
        status = found.status if found else None
        if status in ("executed", "failed"):
            return ToolResult(
                ok=status == "executed",
                query=query,
                data=self.outcome(request_id),
                note="already executed for this approval; not run again",
            )
        if status == "executing":
            if not self.store.mark_unknown(request_id):
                return ToolResult.failure("not executed again: another process is running this approved action", query)
            self.audit.append("mutation.outcome_unknown", request_id=request_id, tool=found.request.tool)
            self.metrics.approved_actions.labels("unknown").inc()
            status = "unknown"
        if status == "unknown" and found is not None:
            request = found.request
            return ToolResult.failure(
                f"{OUTCOME_UNKNOWN}: {request.action} on {request.target} (request {request_id}) was started, but "
                "the process running it stopped before recording the result. It was not run again; check "
                f"{request.target} before requesting it again.",
                query,
                data={"request_id": request_id, "status": "unknown"},
                refs=[request.target],
            )
        return ToolResult.failure(f"not executed: the approval is {status or 'unknown'}", query)


def resume_payload(decision: ApprovalDecision, approver: Principal) -> dict[str, Any]:
    """What :meth:`Gate.review` expects as the resume value of its interrupt."""
    return {"decision": decision.model_dump(mode="json"), "approver": approver.model_dump(mode="json")}


def pending_interrupt(snapshot: StateSnapshot) -> dict[str, Any] | None:
    """The value of the interrupt a conversation is stopped at, or None."""
    for pending in getattr(snapshot, "interrupts", ()) or ():
        return pending.value
    return None


def _step_cut_short(snapshot: StateSnapshot) -> bool:
    """Whether the last step's nodes finished but the process died before the next checkpoint.

    Checkpoints are written in the background while the next step starts, so a crash there leaves
    a checkpoint whose tasks all have their writes (``next`` is empty) and nothing after it:
    invoking the thread again applies those writes and runs the step they lead to.
    """
    return bool(snapshot.tasks) and all(task.result is not None for task in snapshot.tasks)


def _outcome(request: ApprovalRequest, decided_by: str | None) -> dict[str, Any]:
    return {"request": request.model_dump(mode="json"), "decided_by": decided_by}


def _approved(request: ApprovalRequest, decided_by: str) -> dict[str, Any]:
    return {
        **_outcome(request, decided_by),
        "status": "approved",
        "run_args": request.args,
        "approved_hash": request.args_hash,
        "reason": f"approved by {decided_by}",
    }


def _recorded_outcome(stored: StoredApproval) -> dict[str, Any]:
    decided_by = stored.decision.approver if stored.decision else None
    if stored.status == "approved":
        return _approved(stored.request, decided_by or "")
    reason = (stored.result or {}).get("reason") or f"{stored.status} by {decided_by}"
    return {**_outcome(stored.request, decided_by), "status": stored.status, "reason": reason}
