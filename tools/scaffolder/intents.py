"""Offline-planner intents for the scaffolder: list and explain templates, create something from a
template (asking for missing parameters one at a time across turns, dry-running, then requesting
approval to publish), and write a new template from a description.

A turn that asks a question leaves ``scaffolder:draft`` in the conversation's focus; the follow-up
intent only takes short answers while that marker is there, so it never steals other questions.
Answers are composed only from the tools' results.

The intents are declared in ``intents.yaml``; this module holds the code it names.
"""

from __future__ import annotations

import re
from typing import Any

from contract.intent_files import load_intents
from contract.intents import Answer, CallTools, Intent, PlanState, Step, StepResult, ToolCallSpec

FAMILY = "scaffolder"
DRAFT_MARK = "scaffolder:draft"

NAME_RE = re.compile(
    r"\b(?:called|named|name\s+(?:it|is|should be)?|with\s+the\s+name)\s*[:=]?\s*[`'\"]?"
    r"([a-z][a-z0-9._-]*[a-z0-9])",
    re.I,
)
NAME_FIRST_RE = re.compile(
    r"\b(?:create|scaffold|bootstrap|make|spin\s+up|set\s+up|start)\s+[`'\"]?"
    r"([a-z][a-z0-9]*(?:-[a-z0-9]+)+)[`'\"]?\s+(?:from|using|with|based\s+on)\b",
    re.I,
)
NAME_FOR_RE = re.compile(r"\bfor\s+[`'\"]?([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\b", re.I)
OWNER_RE = re.compile(
    r"\b(?:owned\s+by|owner\s+(?:is|should\s+be|:)?|for\s+team|for\s+the)\s+[`'\"]?"
    r"((?:group:)?(?:default/)?[a-z][a-z0-9._-]*)",
    re.I,
)
SYSTEM_RE = re.compile(
    r"\b(?:in|part\s+of)\s+(?:the\s+)?(?:system\s+)?[`'\"]?([a-z][a-z0-9-]*)[`'\"]?\s+system\b"
    r"|\bsystem\s+[`'\"]?([a-z][a-z0-9-]*)",
    re.I,
)
DESCRIPTION_RE = re.compile(r"\b(?:described\s+as|description\s*[:=]|that|which)\s+(.{8,160}?)\s*[.!]?$", re.I)
DRY_RE = re.compile(r"\b(dry[\s-]?run|preview|what would .* (look like|create|contain)|show me what)\b", re.I)
YES_RE = re.compile(
    r"^\s*(yes|yep|yeah|ok|okay|sure|go ahead|do it|publish( it)?|ship it|create it|"
    r"looks good|lgtm|please do)\b",
    re.I,
)
CANCEL_RE = re.compile(r"^\s*(cancel|stop|abort|never ?mind|forget it|no,? (thanks|cancel))\b", re.I)
GENERATE_RE = re.compile(
    r"\b(write|generate|create|make|draft|build|compose|need|want|add|design)\b(?:\s+\w+){0,4}?"
    r"\s+(software\s+|scaffolder\s+|backstage\s+|new\s+)*template\s+(for|that|which|to)\b",
    re.I,
)
CREATE_RE = re.compile(
    r"\b(create|scaffold|bootstrap|spin\s+up|set\s+up|make|start|dry[\s-]?run|preview|"
    r"(need|want|like)\s+(a|an)\s+new|new\s+[\w-]+(\s+[\w-]+)?\s+(called|named|for))\b",
    re.I,
)
QUESTION_RE = re.compile(r"\?\s*$|^\s*(who|what|why|when|where|how|which|is|are|does|do|can|show|list)\b", re.I)
# A question about templates (as opposed to an order to run one): asked, or a read-only imperative.
ASKED_RE = re.compile(
    r"\?\s*$|^\s*(who|what|which|how|is|are|does|do|can|any|where|when|tags\s+on|list|show|tell|break|count|"
    r"compare|give)\b",
    re.I,
)
POLITE_ORDER_RE = re.compile(
    r"^\s*(?:please\s+)?(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:create|scaffold|make|set\s+up|spin\s+up|"
    r"bootstrap|dry[\s-]?run|preview|publish|start|write|generate|draft|build)\b",
    re.I,
)


def is_question(text: str) -> bool:
    """ "is description mandatory in the create react app template?" asks; "create …" orders."""
    return bool(ASKED_RE.search(text)) and not POLITE_ORDER_RE.search(text) and not GENERATE_RE.search(text)


# --- helpers ------------------------------------------------------------------------------------
def _index(state: PlanState):
    from tools.scaffolder.sources import templates_of

    return templates_of(state.runtime)


def _template_in(state: PlanState, *, allow_keywords: bool = True) -> str | None:
    """The template an utterance names: a catalog mention, a template name, or matching keywords."""
    index = _index(state)
    try:
        mentions = state.runtime.catalog.find_mentions(state.utterance, kinds=["template"])
    except Exception:
        mentions = []
    for m in sorted(mentions, key=lambda m: -m.score):
        found = index.get(m.ref)
        if found is not None:
            return found.ref
    if allow_keywords:
        found, score = index.match(state.utterance)
        if found is not None and score >= 1:
            return found.ref
    return None


def _owner(state: PlanState) -> str | None:
    match = OWNER_RE.search(state.utterance)
    catalog = state.runtime.catalog
    if match:
        entity = catalog.get(match.group(1), default_kind="group")
        if entity is not None and entity.kind_lower in ("group", "user"):
            return entity.ref
    try:
        mentions = catalog.find_mentions(state.utterance, kinds=["group"])
    except Exception:
        mentions = []
    return max(mentions, key=lambda m: m.score).ref if mentions else None


def _values_in(state: PlanState) -> dict[str, Any]:
    values: dict[str, Any] = {}
    text = state.utterance
    if m := NAME_RE.search(text) or NAME_FIRST_RE.search(text):
        values["name"] = m.group(1).lower()
    else:  # "… for ledger-sync": a new name, unless it names something the catalog knows (a team)
        for m in NAME_FOR_RE.finditer(text):
            if state.runtime.catalog.get(m.group(1), default_kind="group") is None:
                values["name"] = m.group(1).lower()
                break
    if owner := _owner(state):
        values["owner"] = owner
    if m := SYSTEM_RE.search(text):
        name = m.group(1) or m.group(2)
        entity = state.runtime.catalog.get(name, default_kind="system")
        if entity is not None and entity.kind_lower == "system":
            values["system"] = entity.ref
    if m := DESCRIPTION_RE.search(text):
        values["description"] = m.group(1).strip()
    return values


def _fill_call(slots: dict[str, Any], **extra: Any) -> CallTools:
    args = {
        k: v
        for k, v in {"template": slots.get("template"), "values": slots.get("values") or {}, **extra}.items()
        if v is not None
    }
    return CallTools(calls=[ToolCallSpec(name="scaffolder_fill", args=args)])


def _continue(state: PlanState) -> Step:
    """After scaffolder_fill: ask the next question, or dry-run, then request the publish."""
    fill = state.result_of("scaffolder_fill")
    if fill is None:
        return _fill_call(state.slots)
    if not fill.ok:
        return Answer(text=f"I could not start that: {fill.error}")
    data = fill.data or {}
    template = data["template"]
    if data.get("cancelled"):
        return Answer(text=f"Cancelled: the draft for {template} was discarded; nothing was published.")
    if not data.get("ready"):
        return _ask(data)
    dry = state.result_of("scaffolder_dry_run")
    if dry is None:
        return CallTools(
            calls=[ToolCallSpec(name="scaffolder_dry_run", args={"template": template, "values": data["values"]})]
        )
    if not dry.ok:
        return Answer(text=f"The dry run of {template} failed: {dry.error}", refs=[template, DRAFT_MARK])
    if state.slots.get("dry_only"):
        return Answer(
            text=_dry_text(dry.data) + "\n\nNothing was published. Say **publish it** to request "
            "approval and create it.",
            refs=[template, DRAFT_MARK],
        )
    publish = state.result_of("scaffolder_publish")
    if publish is None:
        return CallTools(
            calls=[ToolCallSpec(name="scaffolder_publish", args={"template": template, "values": data["values"]})]
        )
    if not publish.ok:
        return Answer(text=f"Nothing was published: {publish.error}", refs=[template])
    return Answer(text=_published_text(publish.data or {}), refs=(publish.data or {}).get("registered") or [template])


def _ask(data: dict[str, Any]) -> Answer:
    known = {k: v for k, v in (data.get("values") or {}).items() if v not in (None, "", [], {})}
    lines = []
    if known:
        lines.append(
            "So far for " + data["template"] + ": " + ", ".join(f"{k} = `{v}`" for k, v in known.items()) + "."
        )
    if data.get("errors"):
        lines.append("Some values are not valid: " + "; ".join(data["errors"]))
    if data.get("next_question"):
        lines.append(data["next_question"])
    return Answer(text="\n".join(lines), refs=[data["template"], DRAFT_MARK])


def _dry_text(data: dict[str, Any]) -> str:
    lines = [
        f"Dry run of {data['template']}: {data['file_count']} files would be created.",
        "```",
        data.get("tree") or "(no files)",
        "```",
    ]
    skipped = [s["id"] for s in data.get("steps", []) if s["status"] == "skipped-dry-run"]
    if skipped:
        lines.append("Steps that only run when publishing: " + ", ".join(skipped) + ".")
    for link in data.get("links") or []:
        lines.append(f"- {link.get('title') or 'link'} (would be): {link.get('url') or link.get('entityRef')}")
    return "\n".join(lines)


def _published_text(data: dict[str, Any]) -> str:
    lines = [f"Done: {data.get('template')} ran and published {data.get('files', 0)} files."]
    for link in data.get("links") or []:
        lines.append(f"- {link.get('title') or 'link'}: {link.get('url') or link.get('entityRef')}")
    if data.get("registered"):
        lines.append("Registered in the catalog: " + ", ".join(data["registered"]) + ".")
    for item in data.get("text") or []:
        lines.append(f"{item.get('title')}: {str(item.get('content') or '').strip()}")
    return "\n".join(lines)


# --- list ---------------------------------------------------------------------------------------
LIST_RE = re.compile(r"\b(templates?|scaffold\w*|golden\s+paths?|blueprints?|starters?)\b", re.I)


def extract_list(state: PlanState) -> dict[str, Any] | None:
    """Only asks that are about templates (other lists belong to the catalog)."""
    return {} if LIST_RE.search(state.utterance) else None


def templates(state: PlanState, result: StepResult) -> Answer:
    items = (result.data or {}).get("templates", [])
    if not items:
        return Answer(text="There are no software templates in the catalog.")
    lines = [f"{len(items)} software templates are available:"]
    for t in items:
        desc = f": {t['description']}" if t.get("description") else ""
        lines.append(
            f"- **{t['title']}** ({t['ref']}, type {t.get('type') or '?'}, owner {t.get('owner') or '?'}){desc}"
        )
    lines.append(
        'Ask e.g. "create a new service called invoice-api owned by team-billing from '
        f'{items[0]["ref"].split("/")[-1]}", or "explain the {items[0]["ref"].split("/")[-1]} template".'
    )
    return Answer(text="\n".join(lines), refs=[t["ref"] for t in items][:5])


# --- explain ------------------------------------------------------------------------------------
def extract_explain(state: PlanState) -> dict[str, Any] | None:
    if not LIST_RE.search(state.utterance):
        return None
    template = _template_in(state)
    if template is None:
        template = next((r for r in state.focus if r.startswith("template:")), None)
    return {"template": template} if template else None


def explained(state: PlanState, result: StepResult) -> Answer:
    d = result.data or {}
    lines = [f"**{d['title']}** ({d['ref']}), owned by {d.get('owner') or '?'}: {d.get('description') or ''}".strip()]
    fields = {f["name"]: f for f in d.get("fields", [])}
    for page in d.get("pages", []):
        lines.append(f'Form page "{page.get("title") or "parameters"}":')
        for f in (fields[name] for name in page.get("fields", []) if name in fields):
            bits = [f.get("type", "string"), "required" if f.get("required") else "optional"]
            if "default" in f:
                bits.append(f"default `{f['default']}`")
            if f.get("enum"):
                bits.append("one of " + ", ".join(f"`{v}`" for v in f["enum"]))
            widget = (f.get("ui") or {}).get("ui:field") or (f.get("ui") or {}).get("ui:widget")
            if widget:
                bits.append(f"picker {widget}")
            desc = f" — {f['description']}" if f.get("description") else ""
            lines.append(f"- `{f['name']}` ({', '.join(bits)}){desc}")
    steps = d.get("steps", [])
    if steps:
        lines.append(
            "Steps: "
            + "; ".join(
                f"{s['id']} ({s['action']}{'' if s.get('runs_here', True) else ', not runnable here'})" for s in steps
            )
        )
    if d.get("outputs"):
        lines.append("Outputs: " + ", ".join(str(o) for o in d["outputs"] if o) + ".")
    return Answer(text="\n".join(lines), refs=[d["ref"]])


# --- questions about templates ------------------------------------------------------------------
def _described(state: PlanState) -> list[dict[str, Any]]:
    from tools.scaffolder.facts import describe

    return [describe(t) for t in _index(state).templates]


def _previous_question(state: PlanState) -> str | None:
    previous = state.previous_intent or ""
    return state.previous_question if previous.startswith(FAMILY + ".") else None


def extract_question(state: PlanState) -> dict[str, Any] | None:
    """A question one template or all of them answer; lists, orders and generation are not ours."""
    from tools.scaffolder import questions

    text = state.utterance
    if not is_question(text):
        return None
    items = _described(state)
    if not items:
        return None
    reading = questions.read(text, items, state.focus, _previous_question(state))
    if not questions.answerable(reading):
        return None
    about_templates = (
        LIST_RE.search(text)
        or questions.mentions(text, items)
        or any(reading.fields.get(ref) for ref in reading.templates)  # "the rails one's database field"
    )
    if not about_templates and _previous_question(state) is None:
        return None  # the focus alone makes it ours only right after a template answer
    if reading.across and not LIST_RE.search(text):
        return None
    return {"templates": reading.templates, "across": reading.across}


def plan_question(state: PlanState) -> Step:
    from tools.scaffolder import questions

    slots = state.slots
    if slots.get("across"):
        listed = state.result_of("scaffolder_list_templates")
        if listed is None:
            return CallTools(calls=[ToolCallSpec(name="scaffolder_list_templates", args={"detail": True})])
        if not listed.ok:
            return Answer(text=f"I could not read the templates: {listed.error}")
        items = (listed.data or {}).get("templates", [])
    else:
        described = state.results_of("scaffolder_describe_template")
        if not described:
            return CallTools(
                calls=[
                    ToolCallSpec(name="scaffolder_describe_template", args={"template": ref})
                    for ref in slots["templates"]
                ]
            )
        failed = next((d for d in described if not d.ok), None)
        if failed is not None:
            return Answer(text=f"I could not read that template: {failed.error}")
        items = [d.data for d in described]
    reading = questions.read(state.utterance, items, state.focus, _previous_question(state))
    if slots.get("across"):
        lines, refs = questions.across(reading, items)
        return Answer(text="\n".join(lines), refs=refs[:5])
    # Two templates side by side are compared by their form and their steps.
    aspects = reading.aspects if len(items) < 2 else [*reading.aspects, "params", "steps"]
    lines: list[str] = []
    for t in items:
        if lines:
            lines.append("")
        lines += questions.about(t, aspects, reading.fields.get(t["ref"], []))
    return Answer(text="\n".join(lines), refs=[t["ref"] for t in items])


def names_template_detail(runtime: Any, text: str) -> bool:
    """Whether a question names a template, a form field key or an action that only the configured
    templates have ("what options are under railsArguments?"): a strong hit for template questions."""
    if runtime is None or not is_question(text):
        return False
    from tools.scaffolder import questions
    from tools.scaffolder.facts import describe
    from tools.scaffolder.sources import templates_of

    try:
        index = templates_of(runtime)
    except Exception:  # no template source: nothing to recognise
        return False
    return questions.mentions(text, [describe(t) for t in index.templates])


# --- create -------------------------------------------------------------------------------------
def extract_create(state: PlanState) -> dict[str, Any] | None:
    text = state.utterance
    if GENERATE_RE.search(text) or not CREATE_RE.search(text):
        return None  # "write a template for …" is generation; without a creation verb it is not ours
    if re.match(r"\s*(who|which|what|why|when|where|how)\b", text, re.I) and not DRY_RE.search(text):
        return None  # a question about things, not an order to create one
    if is_question(text) and LIST_RE.search(text) and not DRY_RE.search(text):
        return None  # "is owner required in the create react app template?" asks about the template
    template, values = _template_in(state), _values_in(state)
    if template is None and not values.get("name") and not re.search(r"\bnew\b", text, re.I):
        return None
    return {"template": template, "values": values, "dry_only": bool(DRY_RE.search(text))}


def plan_create(state: PlanState) -> Step:
    if not state.slots.get("template"):
        listed = state.result_of("scaffolder_list_templates")
        if listed is None:
            return CallTools(calls=[ToolCallSpec(name="scaffolder_list_templates", args={})])
        items = (listed.data or {}).get("templates", [])
        names = ", ".join(f"`{t['ref'].split('/')[-1]}` ({t['title']})" for t in items) or "none"
        return Answer(text=f"Which template should I use? Available: {names}.", refs=[t["ref"] for t in items][:5])
    return _continue(state)


# --- follow-up answers --------------------------------------------------------------------------
def extract_answer(state: PlanState) -> dict[str, Any] | None:
    if DRAFT_MARK not in state.focus:
        return None
    text = state.utterance.strip()
    if CANCEL_RE.search(text):
        return {"cancel": True}
    if YES_RE.search(text):
        return {"answer": None, "values": _values_in(state)}
    if QUESTION_RE.search(text) or len(text.split()) > 12:
        return None
    values = _values_in(state)
    answer = text.strip("`'\" .")
    return {"answer": answer if not values else None, "values": values}


def plan_answer(state: PlanState) -> Step:
    slots = state.slots
    if state.result_of("scaffolder_fill") is None:
        extra: dict[str, Any] = {}
        if slots.get("cancel"):
            extra["cancel"] = True
        elif slots.get("answer") is not None:
            extra["answer"] = slots["answer"]
        return _fill_call({"template": None, "values": slots.get("values") or {}}, **extra)
    return _continue(state)


# --- generate -----------------------------------------------------------------------------------
def extract_generate(state: PlanState) -> dict[str, Any] | None:
    text = state.utterance
    if not GENERATE_RE.search(text):
        return None
    description = re.sub(r"^.*?\btemplate\s+(for|that creates|which creates|of)\s+", "", text, flags=re.I).strip()
    name = None
    if m := re.search(r"\b(?:called|named)\s+[`'\"]?([a-z][a-z0-9-]*[a-z0-9])", text, re.I):
        name = m.group(1).lower()
        description = re.sub(r",?\s*\b(?:called|named)\s+\S+", "", description, flags=re.I).strip()
    return {"description": description or text, "name": name}


def generated(state: PlanState, result: StepResult) -> Answer:
    d = result.data or {}
    bp = d.get("blueprint") or {}
    check = d.get("dry_run") or {}
    if bp:
        how = (
            f"composed from built-in building blocks: language {bp.get('language')}"
            + (f", framework {bp.get('framework')}" if bp.get("framework") else "")
            + (f", database {bp.get('database')}" if bp.get("database") else "")
        )
    else:
        how = d.get("produced_by") or "drafted by the language model"
    lines = [
        f"I wrote **{d['title']}** ({d['template']}), {how}."
        + (f" ({d['fallback_reason']}.)" if d.get("fallback_reason") else ""),
        f"Its dry run passed ({len(check.get('files', []))} files; entities: "
        f"{', '.join(check.get('entities', []))}). Saved at `{d['path']}` (not published).",
        "Skeleton:",
        "```",
        "\n".join(d.get("skeleton", [])),
        "```",
        "template.yaml:",
        "```yaml",
        d.get("template_yaml", "").strip(),
        "```",
        f'Use it with: "create a new service called my-service owned by <team> from {d["template"].split("/")[-1]}".',
    ]
    return Answer(text="\n".join(lines), refs=[d["template"]])


def build_intents(runtime: Any) -> list[Intent]:
    return load_intents(__name__, runtime)
