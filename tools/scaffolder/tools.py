"""The scaffolder's tools: list and explain templates, fill parameters, dry-run, publish, generate.

``scaffolder_publish`` is the only mutating tool: its preview is the dry run (the whole rendered
tree), so the approver sees exactly what would be published, and it runs only after an approval.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from contract.tooling import PortalTool, Preview, ToolContext, ToolResult

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime
    from tools.scaffolder.model import Template

FAMILY = "scaffolder"
TEMPLATE_FIELD = "Template ref or name, e.g. 'template:default/python-fastapi-service' or 'python-fastapi-service'"


# --- argument schemas ---------------------------------------------------------------------------
class ListArgs(BaseModel):
    query: str | None = Field(None, description="Optional words to filter templates (language, type, name)")
    detail: bool = Field(False, description="Include each template's fields, steps, hosts, secrets and links")


class TemplateArgs(BaseModel):
    template: str = Field(description=TEMPLATE_FIELD)


class FillArgs(BaseModel):
    template: str | None = Field(None, description=TEMPLATE_FIELD + "; omit to continue the current draft")
    values: dict[str, Any] = Field(default_factory=dict, description="Parameter values known so far")
    answer: str | None = Field(None, description="The user's answer to the last question asked for this draft")
    cancel: bool = Field(False, description="Discard the current draft")


class RunArgs(BaseModel):
    template: str = Field(description=TEMPLATE_FIELD)
    values: dict[str, Any] = Field(default_factory=dict, description="All parameter values")


class GenerateArgs(BaseModel):
    description: str = Field(
        description="What the template should create, e.g. 'a Go gRPC service with a Postgres database'"
    )
    name: str | None = Field(None, description="Template name (kebab-case); derived from the description if absent")


# --- helpers ------------------------------------------------------------------------------------
def _index(runtime: FamilyRuntime):
    from tools.scaffolder.sources import templates_of

    return templates_of(runtime)


def _template(runtime: FamilyRuntime, ref: str) -> Template:
    found = _index(runtime).get(ref)
    if found is None:
        names = ", ".join(t.name for t in _index(runtime).templates) or "none"
        raise LookupError(f"no template {ref!r}; available templates: {names}")
    return found


def _user(ctx: ToolContext) -> dict[str, Any]:
    user: dict[str, Any] = {"ref": ctx.principal.ref}
    try:
        entity = ctx.runtime.catalog.get(ctx.principal.ref, default_kind="user")
    except Exception:
        entity = None
    if entity is not None:
        user["entity"] = entity.model_dump(
            mode="json", by_alias=True, include={"apiVersion", "kind", "metadata", "spec"}
        )
    return user


def _normalise(runtime: FamilyRuntime, template: Template, values: dict[str, Any]) -> dict[str, Any]:
    """Owner names become group refs; a missing RepoUrlPicker value is derived for the local target."""
    from tools.scaffolder import parameters as params

    out = dict(values)
    for f in params.fields(template):
        picker = f.ui.get("ui:field")
        value = out.get(f.name)
        if isinstance(value, str) and picker in ("OwnerPicker", "EntityPicker") and ":" not in value:
            try:
                entity = runtime.catalog.get(value, default_kind="group")
            except Exception:
                entity = None
            if entity is not None:
                out[f.name] = entity.ref
        if picker == "RepoUrlPicker" and not out.get(f.name):
            hosts = (f.ui.get("ui:options") or {}).get("allowedHosts") or []
            name = out.get("name") or out.get("component_id")
            if "local" in hosts and name and not runtime.settings.github_token:
                out[f.name] = f"local?owner={_default_org(runtime)}&repo={name}"
        if isinstance(value, str) and f.name in out and out[f.name] == value:
            out[f.name] = params.coerce(f, value)
    return out


def _default_org(runtime: FamilyRuntime) -> str:
    discovery = [d.split("/")[0] for d in runtime.settings.github_discovery if d]
    return discovery[0] if discovery else "tessera"


# --- list / describe ----------------------------------------------------------------------------
def list_templates(args: ListArgs, ctx: ToolContext) -> ToolResult:
    index = _index(ctx.runtime)
    items = index.templates
    if args.query:
        from tools.scaffolder.sources import WORD

        words = set(WORD.findall(args.query.lower()))
        items = [
            t
            for t in items
            if words
            & set(WORD.findall(" ".join([t.name, t.title or "", t.description or "", t.type or "", *t.tags]).lower()))
        ] or items
    from tools.scaffolder.facts import describe, overview

    data = [describe(t) for t in items] if args.detail else [t.summary() for t in items]
    note = "; ".join(index.errors[:5]) if index.errors else None
    return ToolResult(  # the overview first: it survives when the details overflow the output cap
        data={"overview": overview(items), "count": len(data), "templates": data},
        refs=[t.ref for t in items],
        source="catalog Template entities",
        note=note,
    )


def describe_template(args: TemplateArgs, ctx: ToolContext) -> ToolResult:
    from tools.scaffolder.facts import describe

    template = _template(ctx.runtime, args.template)
    return ToolResult(data=describe(template), refs=[template.ref])


# --- fill ---------------------------------------------------------------------------------------
def fill(args: FillArgs, ctx: ToolContext) -> ToolResult:
    from tools.scaffolder import drafts
    from tools.scaffolder import parameters as params

    runtime = ctx.runtime
    draft = drafts.load(runtime, ctx.thread_id, ctx.principal.ref)
    if args.cancel:
        drafts.clear(runtime, ctx.thread_id, ctx.principal.ref)
        return ToolResult(data={"template": draft.template if draft else None, "cancelled": True})
    if args.template:
        template = _template(runtime, args.template)
        if draft is None or draft.template != template.ref:
            draft = drafts.Draft(template=template.ref)
    elif draft is None:
        return ToolResult.failure("there is no template draft in this conversation; name a template first")
    else:
        template = _template(runtime, draft.template)
    values = {**draft.values, **{k: v for k, v in args.values.items() if v not in (None, "")}}
    if args.answer is not None and draft.asking:
        f = params.field_named(template, draft.asking)
        if f is not None:
            values[f.name] = params.coerce(f, args.answer)
    values = _normalise(runtime, template, values)
    validation = params.validate(template, values)
    unknown = sorted(set(args.values) - {f.name for f in params.fields(template)})
    draft.values = values
    next_field = params.field_named(template, validation.missing[0]) if validation.missing else None
    draft.asking = next_field.name if next_field else None
    drafts.save(runtime, ctx.thread_id, ctx.principal.ref, draft)
    data: dict[str, Any] = {
        "template": template.ref,
        "values": values,
        "missing": validation.missing,
        "errors": validation.errors,
        "ready": validation.ok,
    }
    if next_field is not None:
        data["next_question"] = params.question(next_field)
        data["asking"] = next_field.name
    if unknown:
        data["ignored"] = unknown
    return ToolResult(data=data, refs=[template.ref])


# --- dry run / publish --------------------------------------------------------------------------
def _dry_run(runtime: FamilyRuntime, template: Template, values: dict[str, Any], ctx: ToolContext):
    from tools.scaffolder.engine import run_template
    from tools.scaffolder.publishers import publishers_for

    return run_template(
        template,
        _normalise(runtime, template, values),
        dry_run=True,
        publisher=publishers_for(runtime),
        runtime=runtime,
        user=_user(ctx),
    )


def dry_run(args: RunArgs, ctx: ToolContext) -> ToolResult:
    from tools.scaffolder.engine import ParameterError
    from tools.scaffolder.preview import summary

    template = _template(ctx.runtime, args.template)
    try:
        result = _dry_run(ctx.runtime, template, args.values, ctx)
    except ParameterError as exc:
        return ToolResult.failure(
            str(exc), refs=[template.ref], data={"missing": exc.validation.missing, "errors": exc.validation.errors}
        )
    return ToolResult(data=summary(result), refs=[template.ref], note="dry run: nothing was published")


def publish_preview(args: RunArgs, ctx: ToolContext) -> Preview:
    from tools.scaffolder.engine import check_runnable
    from tools.scaffolder.preview import existing_tree, render
    from tools.scaffolder.publishers import publishers_for

    template = _template(ctx.runtime, args.template)
    result = _dry_run(ctx.runtime, template, args.values, ctx)
    existing = existing_tree(result, template, publishers_for(ctx.runtime))
    problems = check_runnable(template)
    if problems:
        return Preview(summary=f"{template.ref} cannot be published here", ok=False, error="; ".join(problems))
    where = _where(template, result.values)
    return Preview(
        summary=f"run template {template.display} ({len(result.files)} files) and publish {where}",
        details=render(result, existing=existing),
    )


def _where(template: Template, values: dict[str, Any]) -> str:
    repo = values.get("repoUrl")
    return f"to {repo}" if repo else "its outputs"


def publish_target(args: RunArgs, ctx: ToolContext) -> str:
    """What the approval is about: the component whose repository a pull request changes, else the
    template (its owners approve new repositories made from it)."""
    template = _template(ctx.runtime, args.template)
    if any(s.action == "publish:github:pull-request" for s in template.steps):
        from tools.scaffolder.filters import project_slug

        try:
            slug = project_slug(args.values.get("repoUrl"))
            for entity in ctx.runtime.catalog.all("component"):
                if entity.annotations.get("github.com/project-slug") == slug:
                    return entity.ref
        except Exception:
            pass
    return template.ref


def publish(args: RunArgs, ctx: ToolContext) -> ToolResult:
    from tools.scaffolder import drafts
    from tools.scaffolder.engine import run_template
    from tools.scaffolder.publishers import publishers_for

    runtime = ctx.runtime
    template = _template(runtime, args.template)
    values = _normalise(runtime, template, args.values)
    result = run_template(
        template, values, dry_run=False, publisher=publishers_for(runtime), runtime=runtime, user=_user(ctx)
    )
    drafts.clear(runtime, ctx.thread_id, ctx.principal.ref)
    if result.registered:
        runtime.reset_service("scaffolder.templates")
    return ToolResult(
        data={
            "template": template.ref,
            "links": result.links,
            "text": result.text,
            "registered": result.registered,
            "files": len(result.files),
            "steps": [{"id": s.id, "action": s.action, "status": s.status} for s in result.steps],
            "log": result.log[-10:],
        },
        refs=[*result.registered, template.ref],
    )


# --- generation ---------------------------------------------------------------------------------
def generate(args: GenerateArgs, ctx: ToolContext) -> ToolResult:
    from tools.scaffolder.generator import generate_template

    generated = generate_template(ctx.runtime, args.description, name=args.name, user=_user(ctx))
    ctx.runtime.reset_service("scaffolder.templates")
    note = f"{generated['produced_by']}; checked with a dry run; saved locally, not published"
    if generated.get("fallback_reason"):
        note += f". Note: {generated['fallback_reason']}"
    return ToolResult(data=generated, refs=[generated["template"]], note=note)


def build_tools(runtime: FamilyRuntime) -> list[PortalTool]:
    return [
        PortalTool(
            name="scaffolder_list_templates",
            family=FAMILY,
            args_schema=ListArgs,
            func=list_templates,
            description="List the software templates (Backstage scaffolder Template entities) people can "
            "create repositories from, optionally filtered by words.",
        ),
        PortalTool(
            name="scaffolder_describe_template",
            family=FAMILY,
            args_schema=TemplateArgs,
            func=describe_template,
            description="Explain one template: its parameters (form pages, required fields, enums, "
            "defaults, ui hints), its steps and actions, and its outputs.",
        ),
        PortalTool(
            name="scaffolder_fill",
            family=FAMILY,
            args_schema=FillArgs,
            func=fill,
            description="Start or continue filling a template's parameters in this conversation. "
            "Returns the values so far, what is missing and the next question to ask "
            "(ask one at a time), and whether the values validate.",
        ),
        PortalTool(
            name="scaffolder_dry_run",
            family=FAMILY,
            args_schema=RunArgs,
            func=dry_run,
            description="Dry-run a template with values: renders the whole file tree without "
            "publishing and returns the tree, file excerpts, steps and output links.",
        ),
        PortalTool(
            name="scaffolder_publish",
            family=FAMILY,
            args_schema=RunArgs,
            func=publish,
            mutating=True,
            target=publish_target,
            preview=publish_preview,
            risk="medium",
            action="scaffold and publish",
            destructive=False,  # it creates a repository; it never overwrites one
            description="Run a template for real: publish the repository (or pull request) and "
            "register it in the catalog. Needs an approval; the approver sees the dry run.",
        ),
        PortalTool(
            name="scaffolder_generate_template",
            family=FAMILY,
            args_schema=GenerateArgs,
            func=generate,
            description="Write a new template (template.yaml and skeleton) from a description such as "
            "'a Go gRPC service with a Postgres database': drafted by the language model "
            "(or composed from building blocks offline), checked with a dry run and saved "
            "locally.",
        ),
    ]
