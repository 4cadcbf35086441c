"""The runbook tools: ``runbook_search`` and ``runbook_get`` (both read-only).

Running a runbook is not a tool of its own: ``runbook_get`` with an entity returns each step's
ready-to-make tool call (placeholders filled), and the caller (the offline planner, or an LLM
following its guidance.md) makes those calls, so mutating steps go through the graph's
approval gate like any other call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from contract.tooling import PortalTool, ToolContext, ToolResult

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime
    from tools.runbooks.execution import Binding
    from tools.runbooks.model import Runbook

FAMILY = "runbooks"
SECTION_CHARS = 1200
STEP_CHARS = 700
MAX_COMMANDS = 20
MAX_STEPS = 25


class SearchArgs(BaseModel):
    query: str | None = Field(
        None, description="Title, alert name (e.g. KubePodCrashLooping) or symptom ('high latency', 'OOMKilled')"
    )
    entity: str | None = Field(None, description="Catalog entity the runbook should apply to (name or ref)")
    limit: int = Field(5, ge=1, le=20, description="How many runbooks to return, best match first")


class AnswerArgs(BaseModel):
    name: str = Field(description="Runbook name, title or alert (e.g. KubePodCrashLooping)")
    question: str = Field(description="The question, as asked: its words pick the sections and sentences quoted")


class GetArgs(BaseModel):
    name: str = Field(description="Runbook name as returned by runbook_search (e.g. crashloop, KubePodCrashLooping)")
    entity: str | None = Field(
        None, description="Entity to run it for (name or ref): fills the steps' placeholders into ready tool calls"
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Values for the runbook's params")


def build_tools(runtime: FamilyRuntime) -> list[PortalTool]:
    return [
        PortalTool(
            name="runbook_search",
            description=(
                "Find runbooks (on-call procedures) by title, alert name or symptom, and/or by the catalog "
                "entity they apply to. Returns names ranked by score with why they matched. Use it for "
                "'which runbook for X' and before runbook_get when the exact name is unknown."
            ),
            args_schema=SearchArgs,
            func=search,
            family=FAMILY,
        ),
        PortalTool(
            name="runbook_get",
            description=(
                "Read one runbook: its sections (meaning, impact, diagnosis, mitigation, with the shell "
                "commands found) and numbered steps. With 'entity', each executable step carries 'call' "
                "(tool name and filled-in args) to make in order, 'mutating' for steps that need approval, "
                "or 'blocked' with the reason it cannot run; manual steps are instructions for a person."
            ),
            args_schema=GetArgs,
            func=get,
            family=FAMILY,
        ),
        PortalTool(
            name="runbook_answer",
            description=(
                "Answer a question from one runbook's text: the sentences, list items and code blocks of the "
                "sections it asks about (meaning, impact, diagnosis, mitigation), quoted verbatim with their "
                "section. Read-only; for questions, never for running a runbook."
            ),
            args_schema=AnswerArgs,
            func=answer,
            family=FAMILY,
        ),
    ]


def _resolve_entity(ctx: ToolContext, name: str | None) -> tuple[Any, str | None]:
    """(catalog entity or None, error) for an entity argument."""
    if not name:
        return None, None
    try:
        catalog = ctx.runtime.catalog
    except Exception as exc:  # no catalog configured: the name is all there is
        return None, f"catalog unavailable: {exc}"
    entity = catalog.get(name, default_kind="component")
    if entity is None:
        suggestions = catalog.suggest(name) if hasattr(catalog, "suggest") else []
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        return None, f"no catalog entity {name!r}{hint}"
    return entity, None


def search(args: SearchArgs, ctx: ToolContext) -> ToolResult:
    from tools.runbooks.loader import library_for

    library = library_for(ctx.runtime)
    entity, error = _resolve_entity(ctx, args.entity)
    if error and not args.query:
        return ToolResult.failure(error)
    hits = library.search(args.query, entity if entity is not None else args.entity, limit=args.limit)
    data = {
        "runbooks": [
            {
                "name": hit.runbook.name,
                "title": hit.runbook.title,
                "score": hit.score,
                "why": hit.why,
                "format": hit.runbook.format,
                **({"alerts": hit.runbook.alerts[:5]} if hit.runbook.alerts else {}),
                **({"description": _clip(hit.runbook.description, 200)} if hit.runbook.description else {}),
                **({"executable_steps": len(hit.runbook.executable_steps)} if hit.runbook.steps else {}),
            }
            for hit in hits
        ],
        "total_runbooks": len(library),
    }
    notes = [n for n in (error, _problems_note(library)) if n]
    return ToolResult(
        data=data,
        refs=[entity.ref] if entity is not None else [],
        source=_sources(ctx),
        note="; ".join(notes) or None,
    )


def get(args: GetArgs, ctx: ToolContext) -> ToolResult:
    from tools.runbooks.loader import library_for

    library = library_for(ctx.runtime)
    runbook = library.get(args.name)
    if runbook is None:
        suggestions = library.suggest(args.name)
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        problems = _problems_note(library)
        return ToolResult.failure(f"no runbook named {args.name!r} among {len(library)} runbooks{hint}", note=problems)
    entity, error = _resolve_entity(ctx, args.entity)
    if error and args.entity:
        return ToolResult.failure(error)
    data = describe(runbook, entity, ctx.runtime.tools, args.params, binding=_binding(ctx))
    data["source"] = display_path(runbook.path, ctx.runtime)
    return ToolResult(data=data, refs=[entity.ref] if entity is not None else [], source=data["source"])


def answer(args: AnswerArgs, ctx: ToolContext) -> ToolResult:
    from tools.runbooks import answers
    from tools.runbooks.loader import library_for

    library = library_for(ctx.runtime)
    runbook = library.get(args.name)
    if runbook is None:
        return ToolResult.failure(f"no runbook named {args.name!r} among {len(library)} runbooks")
    data = answers.answer(library, runbook, args.question)
    data["source"] = display_path(runbook.path, ctx.runtime)
    return ToolResult(data=data, source=data["source"])


def _binding(ctx: ToolContext) -> Binding:
    """Which entity a step's call changes, by the tool's own ``target`` (what its approval is about)."""
    from tools.runbooks.execution import Binding

    def target_of(name: str, args: dict[str, Any]) -> str:
        tool = ctx.runtime.tools[name]
        return tool.target(tool.parse(args), ctx)

    def resolve(name: str) -> str | None:
        entity, _ = _resolve_entity(ctx, name)
        return entity.ref if entity is not None else None

    return Binding(target_of=target_of, resolve=resolve)


def describe(
    runbook: Runbook,
    entity: Any,
    tools: dict[str, Any],
    params: dict[str, Any] | None = None,
    binding: Binding | None = None,
) -> dict:
    """A runbook as compact JSON, each section and step text capped (and saying so)."""
    from tools.runbooks.execution import render_steps
    from tools.runbooks.library import applies_to

    truncated = False

    def cap(text: str, limit: int) -> str:
        nonlocal truncated
        if len(text) > limit:
            truncated = True
            return text[: limit - 1] + "…"
        return text

    data: dict[str, Any] = {
        "name": runbook.name,
        "title": runbook.title,
        "format": runbook.format,
        "source": runbook.path,
    }
    for key in ("description", "alerts", "applies_to", "owner", "links"):
        value = getattr(runbook, key)
        if value:
            data[key] = value
    if runbook.pointer:
        data["pointer"] = True
    if entity is not None:
        data["entity"] = entity.ref
        data["applies"] = applies_to(runbook, entity) or ("not listed in applies_to" if runbook.applies_to else None)
    sections = []
    for section in runbook.sections:
        item: dict[str, Any] = {"title": section.title, "text": cap(section.text, SECTION_CHARS)}
        sections.append(item)
    if sections:
        data["sections"] = sections
    commands = runbook.commands
    if commands:
        data["commands"] = [
            {"section": c.section, "command": c.text, **({"placeholders": c.placeholders} if c.placeholders else {})}
            for c in commands[:MAX_COMMANDS]
        ]
        truncated = truncated or len(commands) > MAX_COMMANDS
    if runbook.placeholders:
        data["placeholders"] = runbook.placeholders
    if runbook.steps:
        steps = render_steps(runbook, entity, tools, params, binding)
        for step in steps:
            if "text" in step:
                step["text"] = cap(step["text"], STEP_CHARS)
        if len(steps) > MAX_STEPS:
            steps, truncated = steps[:MAX_STEPS], True
        data["steps"] = steps
    if truncated:
        data["truncated"] = "some sections, steps or commands were shortened; the full text is in 'source'"
    return data


def display_path(path: str, runtime: FamilyRuntime) -> str:
    """A runbook's path as people know it: relative to the checkout or the working directory."""
    from pathlib import Path

    full = Path(path).resolve()
    for base in (runtime.demo_dir.parent, Path.cwd()):
        try:
            return str(full.relative_to(base.resolve()))
        except ValueError:
            continue
    return str(full)


def _problems_note(library) -> str | None:
    """Files that did not load, so that a missing runbook is explained rather than silently absent."""
    if not library.problems:
        return None
    shown = "; ".join(str(p) for p in library.problems[:3])
    more = f" (and {len(library.problems) - 3} more)" if len(library.problems) > 3 else ""
    return f"{len(library.problems)} runbook file(s) not loaded: {shown}{more}"


def _sources(ctx: ToolContext) -> str:
    from tools.runbooks.loader import sources_for

    return ", ".join(str(p) for p in sources_for(ctx.runtime))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
