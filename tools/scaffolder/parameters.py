"""Template parameters: JSON Schema form steps, defaults, validation and what is still missing.

``spec.parameters`` is one JSON Schema or a list of them (the form's pages). Backstage validates
the submitted values against every page's schema; defaults come from the form (react-jsonschema-form
fills them in), so here they are applied before validation. ``ui:`` keys are kept for display
(``ui:widget``, ``ui:field``, ``ui:options``, ``ui:help``) and ignored by validation.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft7Validator

from tools.scaffolder.model import Template


@dataclass
class Field:
    """One form field: its name, schema, page, and whether the page requires it."""

    name: str
    schema: dict[str, Any]
    page: int
    page_title: str | None
    required: bool

    @property
    def title(self) -> str:
        return str(self.schema.get("title") or self.name)

    @property
    def ui(self) -> dict[str, Any]:
        return {k: v for k, v in self.schema.items() if k.startswith("ui:")}

    @property
    def enum(self) -> list[Any] | None:
        if "enum" in self.schema:
            return list(self.schema["enum"])
        items = self.schema.get("items")
        if isinstance(items, dict) and "enum" in items:
            return list(items["enum"])
        return None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "title": self.title,
            "type": self.schema.get("type", "string"),
            "required": self.required,
        }
        for key in ("description", "default", "pattern", "enumNames"):
            if key in self.schema:
                out[key] = self.schema[key]
        if self.enum is not None:
            out["enum"] = self.enum
        if self.ui:
            out["ui"] = self.ui
        return out


@dataclass
class Validation:
    values: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.missing


def fields(template: Template) -> list[Field]:
    """Every field of every page, in form order (a field on two pages is listed once)."""
    out: list[Field] = []
    seen: set[str] = set()
    for page, schema in enumerate(template.parameters):
        required = set(schema.get("required") or [])
        for name, prop in (schema.get("properties") or {}).items():
            if name in seen or not isinstance(prop, dict):
                continue
            seen.add(name)
            out.append(Field(name, prop, page, schema.get("title"), name in required))
    return out


def field_named(template: Template, name: str) -> Field | None:
    return next((f for f in fields(template) if f.name == name), None)


def with_defaults(template: Template, values: dict[str, Any]) -> dict[str, Any]:
    """The values plus every schema default not given (rjsf fills these in the form)."""
    out = copy.deepcopy(values)
    for f in fields(template):
        if f.name not in out and "default" in f.schema:
            out[f.name] = copy.deepcopy(f.schema["default"])
    return out


def _schema_for_validation(schema: dict[str, Any]) -> dict[str, Any]:
    """A page's schema without ``ui:`` keys (they are not JSON Schema), at any depth."""
    if isinstance(schema, dict):
        return {k: _schema_for_validation(v) for k, v in schema.items() if not str(k).startswith("ui:")}
    if isinstance(schema, list):
        return [_schema_for_validation(v) for v in schema]
    return schema


def validate(template: Template, values: dict[str, Any]) -> Validation:
    """Defaults applied, then every page validated; missing required fields listed in form order."""
    filled = with_defaults(template, values)
    result = Validation(values=filled)
    for f in fields(template):
        if f.required and (f.name not in filled or filled[f.name] in ("", None)):
            result.missing.append(f.name)
    for page, schema in enumerate(template.parameters):
        validator = Draft7Validator(_schema_for_validation(schema))
        for error in sorted(validator.iter_errors(filled), key=lambda e: list(e.path)):
            if error.validator == "required":
                continue  # reported as missing, one at a time
            where = ".".join(str(p) for p in error.path) or "(form)"
            title = schema.get("title") or f"page {page + 1}"
            result.errors.append(f"{where}: {error.message} (parameters page {title!r})")
    return result


def coerce(f: Field, text: Any) -> Any:
    """A chat answer converted to the field's JSON type ("3" → 3, "yes" → true, "a, b" → [a, b])."""
    if not isinstance(text, str):
        return text
    value = text.strip()
    kind = f.schema.get("type", "string")
    if kind == "integer":
        try:
            return int(value)
        except ValueError:
            return value
    if kind == "number":
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "boolean":
        low = value.lower()
        if low in ("yes", "y", "true", "on", "1"):
            return True
        if low in ("no", "n", "false", "off", "0"):
            return False
        return value
    if kind == "array":
        return [part.strip() for part in value.replace(" and ", ",").split(",") if part.strip()]
    enum = f.enum
    if enum:
        for option in enum:
            if str(option).lower() == value.lower():
                return option
    return value


def question(f: Field) -> str:
    """How to ask for one field in chat."""
    text = f"What should **{f.title}** (`{f.name}`) be?"
    if f.schema.get("description"):
        text += f" {str(f.schema['description']).strip()}"
    if f.enum:
        text += " Options: " + ", ".join(f"`{v}`" for v in f.enum) + "."
    picker = f.ui.get("ui:field")
    if picker == "RepoUrlPicker":
        hosts = (f.ui.get("ui:options") or {}).get("allowedHosts") or []
        text += " Format: `host?owner=<owner>&repo=<name>`" + (f" (hosts: {', '.join(hosts)})" if hosts else "") + "."
    elif picker in ("OwnerPicker", "EntityPicker"):
        text += " Give a catalog entity, e.g. `group:default/team-billing`."
    return text
