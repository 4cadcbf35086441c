"""Everything a template says about itself, as plain data: its metadata, every form field (nested
object properties included, as ``parent.child``), the hosts, entity kinds and secrets its pickers and
steps use, its steps with their literal inputs, and its output links.

Questions about templates are answered from this, so every value is the template's own, verbatim.
"""

from __future__ import annotations

import re
from typing import Any

from tools.scaffolder.model import Template

SECRET_RE = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][\w-]*)")
# Step inputs worth quoting: where it fetches from, where it writes, what it publishes to.
SHOWN_INPUTS = ("url", "targetPath", "filePath", "repoUrl", "allowedHosts", "catalogInfoPath", "branchName")


def _field(name: str, schema: dict[str, Any], page: int, page_title: str | None, required: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "title": str(schema.get("title") or name.rsplit(".", 1)[-1]),
        "type": schema.get("type", "string"),
        "required": required,
        "page": page,
        "page_title": page_title,
    }
    for key in ("description", "default", "pattern", "enumNames", "examples"):
        if key in schema:
            out[key] = schema[key]
    items = schema.get("items")
    if "enum" in schema:
        out["enum"] = list(schema["enum"])
    elif isinstance(items, dict) and "enum" in items:
        out["enum"] = list(items["enum"])
    ui = {k: v for k, v in schema.items() if str(k).startswith("ui:")}
    if ui:
        out["ui"] = ui
    options = ui.get("ui:options") if isinstance(ui.get("ui:options"), dict) else {}
    if options.get("allowedHosts"):
        out["allowed_hosts"] = list(options["allowedHosts"])
    if options.get("allowedKinds"):
        out["allowed_kinds"] = list(options["allowedKinds"])
    credentials = options.get("requestUserCredentials")
    if isinstance(credentials, dict) and credentials.get("secretsKey"):
        out["secrets_key"] = credentials["secretsKey"]
    if isinstance(schema.get("properties"), dict):
        out["properties"] = list(schema["properties"])
    return out


def fields(template: Template) -> list[dict[str, Any]]:
    """Every field in form order; an object's properties follow it as ``parent.child``."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def walk(schema: dict[str, Any], prefix: str, page: int, page_title: str | None) -> None:
        required = set(schema.get("required") or [])
        for name, prop in (schema.get("properties") or {}).items():
            full = f"{prefix}{name}"
            if full in seen or not isinstance(prop, dict):
                continue
            seen.add(full)
            out.append(_field(full, prop, page, page_title, name in required))
            if isinstance(prop.get("properties"), dict):
                walk(prop, full + ".", page, page_title)

    for page, schema in enumerate(template.parameters):
        walk(schema, "", page, schema.get("title"))
    return out


def _on_page(form: list[dict[str, Any]], page: int) -> list[str]:
    """The names of a form page's fields (their details are in the form, once)."""
    return [f["name"] for f in form if f["page"] == page]


def _secrets(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(SECRET_RE.findall(value))
    if isinstance(value, dict):
        return set().union(*(_secrets(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_secrets(v) for v in value)) if value else set()
    return set()


def describe(template: Template) -> dict[str, Any]:
    """The template as data (see the module docstring)."""
    from tools.scaffolder.actions import runnable

    form = fields(template)
    steps = []
    for s in template.steps:
        inputs = {k: s.input[k] for k in SHOWN_INPUTS if k in s.input and not isinstance(s.input[k], dict)}
        steps.append(
            {
                "id": s.id,
                "name": s.name,
                "action": s.action,
                "runs_here": runnable(s.action),
                "inputs": inputs,
                **({"if": s.if_} if s.if_ is not None else {}),
                **({"each": s.each} if s.each is not None else {}),
            }
        )
    links = [
        {k: link[k] for k in ("title", "url", "entityRef", "icon") if k in link}
        for link in template.output.get("links") or []
        if isinstance(link, dict)
    ]
    hosts: list[str] = []
    for f in form:
        hosts += [h for h in f.get("allowed_hosts", []) if h not in hosts]
    for s in template.steps:
        given = s.input.get("allowedHosts")
        hosts += [h for h in given or [] if isinstance(given, list) and h not in hosts]
    secrets = sorted(_secrets([s.model_dump(by_alias=True) for s in template.steps]) | _secrets(template.output))
    secrets += [f["secrets_key"] for f in form if f.get("secrets_key") and f["secrets_key"] not in secrets]
    # The short facts first and each field once, its details last: a model reads this through a
    # per-tool token cap, and a form's fields (each repeated under its page, as they were) cut the
    # steps off a Rails template's description.
    return {
        **template.summary(),
        "name": template.name,
        "description": (template.description or "").strip(),
        "required": [f["name"] for f in form if f["required"]],
        "step_count": len(steps),
        "steps": steps,
        "actions": list(dict.fromkeys(s.action for s in template.steps)),
        "links": links,
        "outputs": [link.get("title") for link in links],
        "hosts": hosts,
        "secrets": secrets,
        "pages": [
            {"title": page.get("title"), "description": page.get("description"), "fields": _on_page(form, i)}
            for i, page in enumerate(template.parameters)
        ],
        "fields": form,
        "source": template.source,
    }


def overview(templates: list[Template]) -> dict[str, Any]:
    """What a question about the whole set asks (how many of each type, which use an action, which
    never ask for an owner), counted here: a model would otherwise count through every template's
    details, which do not fit one tool output once there are more than a handful."""
    from collections import Counter

    from tools.scaffolder.parameters import fields as form_fields

    def asks_owner(template: Template) -> bool:
        return any(
            "owner" in f.name.lower() or str(f.schema.get("ui:field", "")) == "OwnerPicker"
            for f in form_fields(template)
        )

    by_action: dict[str, list[str]] = {}
    for template in templates:
        for action in dict.fromkeys(s.action for s in template.steps):
            by_action.setdefault(action, []).append(template.name)
    return {
        "templates": len(templates),
        "by_type": dict(Counter(t.type or "(no type)" for t in templates).most_common()),
        "by_owner": dict(Counter(t.owner or "(no owner)" for t in templates).most_common()),
        "using_action": {
            action: {"count": len(names), "templates": names} for action, names in sorted(by_action.items())
        },
        "not_asking_for_an_owner": [t.name for t in templates if not asks_owner(t)],
    }
