"""Parsing one runbook file, in either format, into a :class:`Runbook` (or a clear error).

- prometheus-operator format: optional Hugo front matter, ``# AlertName``, ``## Meaning`` /
  ``## Impact`` / ``## Diagnosis`` / ``## Mitigation``; pointer-only runbooks that just link to
  another one with ``{{< ref >}}``; commands in backticks and fences with ``$NAMESPACE``-style
  placeholders kept as written.
- executable format (ours): YAML front matter (``title``, ``applies_to``, ``alerts``, ``owner``…)
  and numbered steps; a step may carry a fenced ``portal-agent`` block naming a tool and its
  arguments, with ``{{ entity }}``-style placeholders filled in when the runbook is run.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tools.runbooks.markdown import (
    FENCE_RE,
    commands_in,
    fenced_mask,
    headings,
    ref_targets,
    render_shortcodes,
    sections_of,
    shortcodes,
    split_front_matter,
)
from tools.runbooks.model import Runbook, Section, Step, StepAction

EXECUTABLE_KEYS = {"applies_to", "alerts", "owner", "params"}  # not "aliases": Hugo uses it
ACTION_FENCE = "portal-agent"
STEP_SECTIONS = ("steps", "procedure", "runbook")
ITEM_RE = re.compile(r"^(\d+)[.)]\s+(.*)$")
ALERT_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
TEMPLATE_RE = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")
# Variables every executable runbook may use in step arguments (see tools/runbooks/execution.py).
BUILTIN_VARIABLES = frozenset(
    {"entity", "ref", "name", "kind", "namespace", "kubernetes_id", "owner", "system", "title"}
)


class RunbookError(ValueError):
    """A file that is not a usable runbook; ``line`` points at the offending line when known."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.line = line


class ExecutableFrontMatter(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str
    description: str = ""
    applies_to: list[str] = Field(default_factory=list)
    alerts: list[str] = Field(default_factory=list)
    owner: str | None = None
    keywords: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    per_entity: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Param values for one entity (by name or ref), over 'params'"
    )

    @field_validator("applies_to", "alerts", "keywords", "aliases", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return value


def is_executable(text: str) -> bool:
    """Our format has front matter with runbook keys, or at least one ```portal-agent block."""
    doc = split_front_matter(text)
    if doc.has_front and (EXECUTABLE_KEYS & set(doc.front)):
        return True
    return any((m := FENCE_RE.match(line)) and m.group(3).lower() == ACTION_FENCE for line in doc.body.splitlines())


def parse_file(path: Path) -> Runbook:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RunbookError(f"not UTF-8 text: {exc}") from exc
    return parse_text(text, path)


def parse_text(text: str, path: Path) -> Runbook:
    if is_executable(text):
        return parse_executable(text, path)
    return parse_prometheus(text, path)


# --- prometheus-operator format -----------------------------------------------------------------
def parse_prometheus(text: str, path: Path) -> Runbook:
    doc = split_front_matter(text)
    if doc.front_error:
        raise RunbookError(doc.front_error, 1)
    lines = doc.body.splitlines()
    title, intro, sections = sections_of(lines)
    if not title:
        raise RunbookError("no '# Title' heading: a runbook starts with an H1 naming the alert or procedure")
    # The file is named after the alert (content/docs/add-runbook.md); the H1 usually repeats it, but
    # upstream has an H1 with spaces (CPUThrottlingHigh) and a copy-pasted one (PrometheusRemoteWriteBehind).
    name = _stem(path)
    alerts = [name] if ALERT_NAME_RE.fullmatch(name) else []
    for section in sections:
        section.text = render_shortcodes(section.text)
    links = ref_targets(doc.body)
    intro_text = render_shortcodes(intro)
    if not sections and not intro_text:
        raise RunbookError("the runbook has a title but no content")
    if not sections:
        return _pointer(name, title, path, doc, intro_text, links, alerts)
    meaning = next((s.text for s in sections if s.title.lower() == "meaning"), "")
    front_title = doc.front.get("title") if isinstance(doc.front.get("title"), str) else None
    return Runbook(
        name=name,
        title=title,
        format="prometheus-operator",
        path=str(path),
        description=_first_paragraph(meaning or intro_text),
        alerts=alerts,
        keywords=[front_title] if front_title and front_title != title else [],
        sections=sections,
        links=links,
        shortcodes=shortcodes(doc.body),
        front_matter=doc.has_front,
    )


def _pointer(name: str, title: str, path: Path, doc: Any, intro: str, links: list[str], alerts: list[str]) -> Runbook:
    """A runbook with no sections: its text (usually 'See [Other](…)') is kept as its description."""
    return Runbook(
        name=name,
        title=title,
        format="prometheus-operator",
        path=str(path),
        description=intro.strip(),
        alerts=alerts,
        sections=[Section(title="See also", text=intro.strip(), commands=commands_in(intro, "See also"))],
        links=links,
        shortcodes=shortcodes(doc.body),
        front_matter=doc.has_front,
        pointer=True,
    )


# --- executable format --------------------------------------------------------------------------
def parse_executable(text: str, path: Path) -> Runbook:
    doc = split_front_matter(text)
    if doc.front_error:
        raise RunbookError(doc.front_error, 1)
    if not doc.has_front:
        raise RunbookError("an executable runbook needs YAML front matter with at least 'title'", 1)
    try:
        front = ExecutableFrontMatter.model_validate(doc.front)
    except ValidationError as exc:
        raise RunbookError(f"front matter: {_pydantic_reason(exc)}", 1) from exc
    lines = doc.body.splitlines()
    h1, intro, sections = sections_of(lines)
    steps_section = next((s for s in sections if s.title.strip().lower() in STEP_SECTIONS), None)
    if steps_section is not None:
        start = _section_line(lines, steps_section.title)
        step_lines = lines[start + 1 : start + 1 + _section_length(lines, start)]
        offset = doc.body_line + start + 1
    else:
        step_lines, offset = lines, doc.body_line
    declared = set(front.params) | {key for values in front.per_entity.values() for key in values}
    steps = _steps(step_lines, offset, declared)
    if not steps:
        raise RunbookError("no numbered steps ('1. …') found; put them under a '## Steps' heading")
    other = [s for s in sections if s is not steps_section]
    return Runbook(
        name=_stem(path),
        title=front.title,
        format="executable",
        path=str(path),
        description=front.description or _first_paragraph(intro),
        alerts=front.alerts,
        applies_to=front.applies_to,
        owner=front.owner,
        keywords=[*front.keywords, *front.aliases, *([h1] if h1 and h1 != front.title else [])],
        params=front.params,
        per_entity=front.per_entity,
        sections=other,
        steps=steps,
        front_matter=True,
    )


def _section_line(lines: list[str], title: str) -> int:
    return next(i for i, level, text in headings(lines) if level == 2 and text == title)


def _section_length(lines: list[str], start: int) -> int:
    nxt = [i for i, level, _ in headings(lines) if i > start and level <= 2]
    return (nxt[0] if nxt else len(lines)) - start - 1


def _steps(lines: list[str], offset: int, params: set[str]) -> list[Step]:
    """Top-level numbered items, each with its text and its optional ```portal-agent block."""
    mask = fenced_mask(lines)
    starts = [i for i, line in enumerate(lines) if not mask[i] and ITEM_RE.match(line)]
    steps = []
    for n, i in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        steps.append(_step(n + 1, lines[i:end], offset + i, params))
    return steps


def _step(number: int, lines: list[str], line_no: int, params: set[str]) -> Step:
    first = ITEM_RE.match(lines[0]).group(2)  # type: ignore[union-attr]
    body = [first, *lines[1:]]
    text_lines: list[str] = []
    action: StepAction | None = None
    i = 0
    while i < len(body):
        m = FENCE_RE.match(body[i])
        if m and m.group(3).lower() == ACTION_FENCE:
            fence = m.group(2)[0] * 3
            j = i + 1
            while j < len(body) and not (body[j].strip().startswith(fence) and not body[j].strip().strip(fence[0])):
                opener = FENCE_RE.match(body[j])
                if opener and opener.group(3):  # another block starts: this one was never closed
                    j = len(body)
                    break
                j += 1
            if j >= len(body):
                raise RunbookError(f"step {number}: the ```{ACTION_FENCE} block is never closed", line_no + i)
            if action is not None:
                raise RunbookError(f"step {number}: only one ```{ACTION_FENCE} block per step", line_no + i)
            action = _action(number, textwrap.dedent("\n".join(body[i + 1 : j])), line_no + i, params)
            i = j + 1
            continue
        text_lines.append(body[i])
        i += 1
    title, rest = _title(textwrap.dedent("\n".join(text_lines)).strip())
    return Step(number=number, title=title, text=rest, action=action, commands=commands_in(rest, f"step {number}"))


def _action(number: int, raw: str, line: int, params: set[str]) -> StepAction:
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise RunbookError(f"step {number}: invalid YAML in the ```{ACTION_FENCE} block: {exc}", line) from exc
    if not isinstance(data, dict) or not isinstance(data.get("tool"), str) or not data["tool"].strip():
        raise RunbookError(f"step {number}: the ```{ACTION_FENCE} block needs 'tool: <tool name>'", line)
    args = data.get("args") or {}
    if not isinstance(args, dict):
        raise RunbookError(f"step {number}: 'args' must be a mapping of argument names to values", line)
    unknown = set(data) - {"tool", "args"}
    if unknown:
        raise RunbookError(f"step {number}: unknown key(s) {', '.join(sorted(unknown))} (allowed: tool, args)", line)
    for variable in _variables(args):
        root = variable.split(".")[0]
        if root not in BUILTIN_VARIABLES and root not in params and root != "params":
            raise RunbookError(
                f"step {number}: unknown placeholder {{{{ {variable} }}}}; use one of "
                f"{', '.join(sorted(BUILTIN_VARIABLES | params))} or declare it under 'params'",
                line,
            )
    return StepAction(tool=data["tool"].strip(), args=args, line=line)


def _variables(value: Any) -> list[str]:
    if isinstance(value, str):
        return TEMPLATE_RE.findall(value)
    if isinstance(value, dict):
        return [v for item in value.values() for v in _variables(item)]
    if isinstance(value, list):
        return [v for item in value for v in _variables(item)]
    return []


def _title(text: str) -> tuple[str, str]:
    """A step's title is its bold lead-in (``**Check the pods.**``) or its first line."""
    m = re.match(r"\*\*(.+?)\*\*[:.]?\s*(.*)", text, re.S)
    if m:
        return m.group(1).strip().rstrip(".:"), m.group(2).strip()
    first, _, rest = text.partition("\n")
    return first.strip(), rest.strip()


# --- helpers ------------------------------------------------------------------------------------
def _stem(path: Path) -> str:
    return path.name[: -len(path.suffix)] if path.suffix in (".md", ".markdown") else path.name


def _first_paragraph(text: str) -> str:
    for para in re.split(r"\n\s*\n", text.strip()):
        para = " ".join(line.strip() for line in para.splitlines()).strip()
        if para and not para.startswith(("```", "#", "<")):
            return para[:300]
    return ""


def _pydantic_reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"'{loc}': {err['msg']}")
    return "; ".join(parts)
