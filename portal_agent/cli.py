"""``portal-agent``: ask, chat, eval, config, catalog validate, audit verify, and the servers.

Heavy modules are imported inside the commands that need them, so ``portal-agent ask`` for a
catalog question starts quickly.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="portal-agent: the developer portal's assistant.", no_args_is_help=True, pretty_exceptions_enable=False
)
catalog_app = typer.Typer(help="Catalog utilities.", no_args_is_help=True)
audit_app = typer.Typer(help="Audit log utilities.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
app.add_typer(audit_app, name="audit")
feedback_app = typer.Typer(help="Feedback on answers (thumbs up/down in Slack and the web).", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")

UserOpt = Annotated[str | None, typer.Option("--user", "-u", help="Who is asking, e.g. user:default/jane.doe")]
CatalogOpt = Annotated[
    list[str] | None,
    typer.Option("--catalog", help="Catalog source (dir, YAML file, Backstage URL); repeatable; replaces config"),
]
DemoOpt = Annotated[bool, typer.Option("--demo", help="Use the embedded demo organisation")]


def _service(catalog: list[str] | None = None, demo: bool = False):
    from agent.runtime import Runtime
    from agent.service import AgentService
    from contract.settings import ConfigError, load_settings

    overrides: dict = {}
    if catalog:
        overrides["catalog"] = catalog
    if demo:
        overrides["demo"] = True
    try:
        settings = load_settings(**overrides)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    return AgentService(Runtime(settings))


def _not_slack(thread_id: str) -> bool:
    """Conversations the Slack connector does not own (it recovers its own, and posts their outcome)."""
    return not thread_id.startswith("slack:")


def _recover(service) -> None:
    """Finish what a killed process left half-done (an approved change not yet run, or cut short)."""
    for result in service.recover_interrupted(_not_slack):
        typer.echo(f"finished a change a restart interrupted (conversation {result.thread_id}): {result.answer}")


def _principal(service, user: str):
    """The catalog User named by ``--user``; a group or other non-User is refused (exit 2)."""
    from agent.identity import NotAUser

    try:
        return service.principal(user, via="cli")
    except NotAUser as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question")],
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    user: UserOpt = None,
    catalog: CatalogOpt = None,
    thread: Annotated[str | None, typer.Option("--thread", help="Continue this conversation")] = None,
    demo: DemoOpt = False,
) -> None:
    """Answer one question (one turn)."""
    from agent.service import AwaitingApproval

    service = _service(catalog, demo)
    principal = _principal(service, user or service.runtime.settings.default_user)
    try:
        result = service.ask(question, principal, thread_id=thread)
    except AwaitingApproval as exc:
        typer.echo(f"not asked: {exc}", err=True)
        raise typer.Exit(4) from exc
    if json_output:
        sys.stdout.write(result.model_dump_json() + "\n")
        return
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console()
    console.print(Markdown(result.answer))
    if result.interrupt:
        request = result.interrupt["request"]
        console.print(f"\n[bold]Approve with:[/] portal-agent approve {request['id']} --user <approver>")


def _decide(request_id: str, user: str, kind: str, comment: str | None, json_output: bool) -> None:
    from agent.gate.policy import ApprovalDecision
    from agent.service import DecisionRefused

    service = _service()
    approver = _principal(service, user)
    found = service.approval(request_id)
    if found is None:
        typer.echo(f"no approval request {request_id}", err=True)
        raise typer.Exit(2)
    decision = ApprovalDecision(
        request_id=request_id, decision=kind, approver=approver.ref, args_hash=found.request.args_hash, comment=comment
    )
    try:
        result = service.decide(decision, approver)
    except DecisionRefused as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(3) from exc
    typer.echo(result.model_dump_json() if json_output else result.answer)


@app.command()
def approve(
    request_id: str,
    user: Annotated[str, typer.Option("--user", "-u", help="The approver")],
    comment: Annotated[str | None, typer.Option("--comment")] = None,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Approve a pending request (the approver must be allowed by policy)."""
    _decide(request_id, user, "approve", comment, json_output)


@app.command()
def reject(
    request_id: str,
    user: Annotated[str, typer.Option("--user", "-u", help="The approver")],
    comment: Annotated[str | None, typer.Option("--comment")] = None,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Reject a pending request."""
    _decide(request_id, user, "reject", comment, json_output)


@app.command()
def chat(user: UserOpt = None, catalog: CatalogOpt = None, demo: DemoOpt = False) -> None:
    """Interactive terminal chat with streaming answers and approval prompts."""
    from connectors.terminal import run_chat

    service = _service(catalog, demo)
    _recover(service)
    principal = _principal(service, user or service.runtime.settings.default_user)
    run_chat(service, principal)


@app.command()
def config(json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print the effective configuration, secrets masked, and which tool families have data."""
    from agent.runtime import Runtime
    from contract.settings import load_settings

    settings = load_settings()
    masked = settings.masked()
    runtime = Runtime(settings)
    families = runtime.family_status()
    keyword_index = runtime.readiness().get("docs_index", {}).get("keyword_index")
    if keyword_index:
        masked["docs_keyword_index"] = keyword_index  # postgresql: shared by the replicas
    if json_output:
        typer.echo(json.dumps({**masked, "families": families}, indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("setting", "value", title="portal-agent configuration")
    for key, value in masked.items():
        table.add_row(key, ", ".join(map(str, value)) if isinstance(value, list) else str(value))
    live = Table("family", "status", title="tool families")
    for name, status in families.items():
        live.add_row(name, "live" if status["live"] else f"off: {status['configure']}")
    Console().print(table, live)


@app.command("mcp")
def mcp_command(demo: DemoOpt = False) -> None:
    """Serve portal-agent's tools to an MCP client over stdio (an editor, another assistant).

    The caller acts as PORTAL_AGENT_MCP_USER (a catalog User; default: the CLI's default user).
    Mutating tools are listed only with PORTAL_AGENT_MCP_MUTATING_TOOLS=true, and then only create
    approval requests. Logs go to stderr: stdout carries the protocol alone.
    """
    import asyncio

    from connectors.mcp.transports import serve_stdio

    asyncio.run(serve_stdio(_service(demo=demo)))


@app.command("eval")
def eval_command(
    dataset: Annotated[list[str] | None, typer.Option("--dataset", "-d", help="Dataset name or path")] = None,
    json_output: Annotated[bool, typer.Option("--json")] = False,
    show_failures: Annotated[bool, typer.Option("--failures", help="List failed cases")] = False,
    safety: Annotated[
        bool, typer.Option("--safety", help="Run the safety set (injections, secrets, approval abuse) instead")
    ] = False,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="offline | openai:<m> | openai-compatible:<m>")
    ] = None,
    repeat: Annotated[int, typer.Option("--repeat", min=1, help="Runs per case: Pass@1 and Pass^N")] = 1,
    oracle: Annotated[bool, typer.Option("--oracle", help="Also run each case's ideal tool calls")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Write Markdown here (and .json beside)")] = None,
    bench: Annotated[
        Path | None, typer.Option("--bench", help="Append this make-bench results file to the report")
    ] = None,
    judge: Annotated[
        str | None, typer.Option("--judge", help="An LLM judge for free-text answers: openai[-compatible]:<m>")
    ] = None,
    judge_base_url: Annotated[str | None, typer.Option("--judge-base-url", help="The judge's server")] = None,
) -> None:
    """Run the eval sets with the configured (or given) model and print a score table."""
    from evals.runner import print_report, run_datasets

    if safety:
        from evals.safety.harness import print_safety, run_safety

        report = run_safety()
        print_safety(report)
        raise typer.Exit(1 if report.violations else 0)

    grader = None
    if judge:
        from contract.settings import load_settings
        from evals.judge import judge_from_spec

        settings = load_settings()
        key = settings.model_api_key.get_secret_value() if settings.model_api_key else os.environ.get("OPENAI_API_KEY")
        grader = judge_from_spec(judge, judge_base_url or settings.model_base_url, key)
    reports = run_datasets(dataset or None, model=model, repeat=repeat, oracle=oracle, judge=grader)
    if report is not None:
        from evals.report import latest_bench, write_report

        written = write_report(reports, report, latest_bench(bench))
        typer.echo(f"report: {written[0]} and {written[1]}", err=True)
    if json_output:
        typer.echo(json.dumps([r.model_dump() for r in reports], indent=2))
    else:
        print_report(reports, show_failures=show_failures)


@feedback_app.command("export")
def feedback_export(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the draft cases here (YAML)")] = None,
    all_ratings: Annotated[bool, typer.Option("--all", help="Positive feedback too")] = False,
) -> None:
    """Negative feedback (Slack and web thumbs-down) as draft eval cases for a person to complete."""
    import yaml

    from agent.feedback import draft_cases, feedback_store
    from agent.runtime import Runtime
    from contract.settings import load_settings

    rows = feedback_store(Runtime(load_settings())).rows(None if all_ratings else "bad")
    text = yaml.safe_dump(draft_cases(rows), sort_keys=False, allow_unicode=True, width=110)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{len(rows)} draft case(s) written to {out}; fill in their expected facts", err=True)


@catalog_app.command("validate")
def catalog_validate(path: Annotated[Path, typer.Argument(help="A catalog file or directory")]) -> None:
    """Lint catalog YAML like Backstage would; exit 1 on errors."""
    from tools.catalog.validate import validate_path

    problems = validate_path(path)
    errors = [p for p in problems if getattr(p, "severity", "error") == "error"]
    for problem in problems:
        typer.echo(str(problem))
    typer.echo(f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s)")
    raise typer.Exit(1 if errors else 0)


@audit_app.command("verify")
def audit_verify(
    path: Annotated[Path | None, typer.Argument(help="Audit log (default: the data dir's)")] = None,
) -> None:
    """Check the audit log's hash chain, MACs and head checkpoint; exit 1 if it was tampered with.

    Without a path: the deployment's chain (PostgreSQL with ``PORTAL_AGENT_DATABASE_URL``, else the
    data directory's file), read with ``PORTAL_AGENT_AUDIT_KEY``.
    """
    from agent.audit import AuditLog
    from agent.audit_pg import audit_log
    from agent.runtime import Runtime
    from contract.settings import load_settings

    settings = load_settings()
    log = AuditLog(path) if path is not None else audit_log(Runtime(settings))
    if path is None:
        typer.echo(f"verifying {_audit_where(settings)}", err=True)
    report = log.verify()
    if report.ok:
        anchor = f"; head {report.head} (keep a copy elsewhere to compare)" if report.anchored else ""
        note = f"; {report.reason}" if report.reason else ""
        typer.echo(f"ok: {report.records} records, chain intact{anchor}{note}")
        return
    where = f" at line {report.first_bad_line}" if report.first_bad_line else ""
    typer.echo(f"TAMPERED{where}: {report.reason}", err=True)
    raise typer.Exit(1)


def _audit_where(settings) -> str:
    """The chain's location as an operator would name it (credentials masked)."""
    if settings.database_url:
        return f"the audit chain in {settings.masked()['database_url']}"
    return str(Path(settings.data_dir) / "audit.jsonl")


@app.command()
def index(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the docs index and embed everything again")] = False,
    demo: DemoOpt = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Index the docs (TechDocs, mkdocs sites, Markdown folders) into Chroma; incremental by content hash."""
    from agent.runtime import Runtime
    from contract.settings import load_settings
    from tools.docs.cli import run_index

    runtime = Runtime(load_settings(demo=True if demo else None))
    raise typer.Exit(run_index(runtime, rebuild=rebuild, json_output=json_output))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    demo: DemoOpt = False,
) -> None:
    """Serve the web chat (and Slack HTTP events when configured); SIGTERM drains, then stops."""
    from agent.telemetry.process import observe_process
    from connectors.slack import http_configured
    from connectors.web.server import run_server

    service = _service(demo=demo)
    flush_traces = observe_process(service.runtime.settings)  # log format and trace export, first
    _recover(service)
    if http_configured(service.runtime.settings):
        import asyncio

        from connectors.slack.app import recover_slack_threads

        asyncio.run(recover_slack_threads(service))
    try:
        run_server(service, host=host, port=port)
    finally:
        flush_traces()


@app.command()
def slack(demo: DemoOpt = False) -> None:
    """Run the Slack app over Socket Mode (HTTP events are served by `serve` when configured)."""
    import asyncio
    import contextlib

    from agent.telemetry.process import observe_process
    from connectors.slack import socket_configured
    from connectors.slack.socket import run_socket_mode

    service = _service(demo=demo)
    if not socket_configured(service.runtime.settings):
        typer.echo("Socket Mode needs PORTAL_AGENT_SLACK_BOT_TOKEN and PORTAL_AGENT_SLACK_APP_TOKEN", err=True)
        raise typer.Exit(2)
    flush_traces = observe_process(service.runtime.settings)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_socket_mode(service))
    finally:
        flush_traces()


if __name__ == "__main__":  # pragma: no cover
    app()
