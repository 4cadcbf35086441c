"""The interactive terminal chat: streamed answers, tool activity and approval prompts."""

from __future__ import annotations

from rich.console import Console
from rich.markdown import Markdown
from rich.prompt import Prompt

from agent.events import Token, ToolStarted
from agent.gate.policy import ApprovalDecision
from agent.service import AgentService, AwaitingApproval, DecisionRefused, new_thread_id
from contract.principal import Principal


def run_chat(service: AgentService, principal: Principal, console: Console | None = None) -> None:
    console = console or Console()
    thread_id = new_thread_id()
    console.print(f"[dim]portal-agent — you are {principal.ref}; 'exit' to leave, 'new' for a new chat[/]")
    while True:
        try:
            text = Prompt.ask("[bold cyan]you[/]", console=console).strip()
        except (EOFError, KeyboardInterrupt):
            return
        if text in ("exit", "quit"):
            return
        if text == "new":
            thread_id = new_thread_id()
            continue
        if not text:
            continue
        try:
            _stream_turn(service, principal, text, thread_id, console)
        except AwaitingApproval as exc:  # left pending with "later": it comes first
            console.print(f"[yellow]not asked:[/] {exc}")
        _handle_pending(service, principal, thread_id, console)


def _stream_turn(service: AgentService, principal: Principal, text: str, thread_id: str, console: Console) -> None:
    streamed = False
    for event in service.events(text, principal, thread_id):
        if isinstance(event, ToolStarted):
            console.print(f"[dim]→ {event.name} {event.args}[/]")
        elif isinstance(event, Token):
            console.print(event.text, end="", markup=False, highlight=False)
            streamed = True
    if streamed:
        console.print()


def _handle_pending(service: AgentService, principal: Principal, thread_id: str, console: Console) -> None:
    while True:
        request = service.pending_approval(thread_id)
        if request is None:
            return
        console.print(f"\n[bold yellow]Approval needed[/]: {request.action} on {request.target}")
        console.print(Markdown(f"**Preview:** {request.preview.summary}"))
        if request.preview.details:
            console.print(request.preview.details, markup=False)
        approvers = ", ".join(request.approvers)
        console.print(f"risk: {request.risk} · approvers: {approvers} · expires {request.expires_at.isoformat()}")
        answer = Prompt.ask(
            "approve as you, reject, or leave pending",
            choices=["approve", "reject", "later"],
            default="later",
            console=console,
        )
        if answer == "later":
            console.print(f"[dim]pending as {request.id}: portal-agent approve {request.id} --user …[/]")
            return
        decision = ApprovalDecision(
            request_id=request.id, decision=answer, approver=principal.ref, args_hash=request.args_hash
        )
        try:
            result = service.decide(decision, principal)
        except DecisionRefused as exc:
            console.print(f"[red]refused:[/] {exc}")
            return
        console.print(Markdown(result.answer))
