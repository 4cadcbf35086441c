"""Turning an executable runbook into tool calls for one entity, and reporting how each step went.

Two halves, both pure functions so they are tested without a graph:

- :func:`render_steps` fills a runbook's ``{{ placeholders }}`` from the catalog entity (its ref,
  name, Kubernetes namespace and id, owner, system) and the runbook's ``params`` and says, for each
  step, which tool call it makes, or why it cannot (tool not enabled, value missing, or a change
  to another entity than the one the runbook runs for).
- :func:`next_batch` and :func:`report` walk those rendered steps against the results the turn
  has so far: consecutive read-only steps go out together, a mutating step goes out alone (the
  graph's approval gate stops it), and after a mutating step that did not run nothing else runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tools.runbooks.model import Runbook
from tools.runbooks.parsers import TEMPLATE_RE

K8S_ID = "backstage.io/kubernetes-id"
K8S_NAMESPACE = "backstage.io/kubernetes-namespace"
SINGLE_TEMPLATE_RE = re.compile(r"^\{\{\s*([A-Za-z_][\w.]*)\s*\}\}$")


class RenderError(ValueError):
    pass


@dataclass
class Binding:
    """What binds a runbook's changes to the entity it runs for (``runbook_get`` builds it from the
    tools and the catalog): which entity a call would change, and which entity a name means."""

    target_of: Callable[[str, dict[str, Any]], str]  # tool name, args -> entity ref (raises if unknown)
    resolve: Callable[[str], str | None]  # a name or ref -> entity ref


def _per_entity(entity: Any, runbook: Runbook) -> dict[str, Any]:
    """The runbook's ``per_entity`` values for this entity (e.g. the database's main consumer)."""
    specific: dict[str, Any] = {}
    if entity is not None:
        for key, params in runbook.per_entity.items():
            if key.lower() in (entity.name.lower(), entity.ref.lower()):
                specific = params
    return specific


def variables_for(entity: Any, runbook: Runbook, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The values ``{{ … }}`` placeholders may use. Missing values are absent, not empty."""
    values: dict[str, Any] = {**runbook.params, **_per_entity(entity, runbook), **(overrides or {})}
    values["params"] = dict(values)
    if entity is None:
        return values
    annotations = entity.annotations or {}
    values.update(entity=entity.ref, ref=entity.ref, name=entity.name, kind=entity.kind.lower())
    values["title"] = entity.metadata.title or entity.name
    if annotations.get(K8S_NAMESPACE):
        values["namespace"] = annotations[K8S_NAMESPACE]
    if annotations.get(K8S_ID):
        values["kubernetes_id"] = annotations[K8S_ID]
    for key in ("owner", "system"):
        if entity.spec.get(key):
            values[key] = entity.spec[key]
    return values


def render(value: Any, variables: dict[str, Any]) -> Any:
    """Fill placeholders; a string that is exactly one placeholder keeps the value's type."""
    if isinstance(value, dict):
        return {k: render(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, variables) for v in value]
    if not isinstance(value, str):
        return value
    whole = SINGLE_TEMPLATE_RE.match(value.strip())
    if whole:
        return _lookup(whole.group(1), variables)
    return TEMPLATE_RE.sub(lambda m: str(_lookup(m.group(1), variables)), value)


def render_soft(text: str, variables: dict[str, Any]) -> str:
    """Fill the placeholders that have values (in instructions for people); leave the others."""

    def fill(m: re.Match) -> str:
        try:
            return str(_lookup(m.group(1), variables))
        except RenderError:
            return m.group(0)

    return TEMPLATE_RE.sub(fill, text)


def _lookup(path: str, variables: dict[str, Any]) -> Any:
    current: Any = variables
    for part in path.split("."):
        if isinstance(current, dict) and part in current and current[part] is not None:
            current = current[part]
        else:
            raise RenderError(_missing(path, variables))
    return current


def _missing(path: str, variables: dict[str, Any]) -> str:
    root = path.split(".")[0]
    if "entity" not in variables and root in {
        "entity",
        "ref",
        "name",
        "kind",
        "namespace",
        "kubernetes_id",
        "owner",
        "system",
        "title",
    }:
        return f"needs an entity for {{{{ {path} }}}}: say which service to run it for"
    if root in ("namespace", "kubernetes_id"):
        annotation = K8S_NAMESPACE if root == "namespace" else K8S_ID
        return f"needs {{{{ {path} }}}}, but {variables.get('entity')} has no {annotation} annotation"
    return f"needs a value for {{{{ {path} }}}}"


# --- rendered steps -----------------------------------------------------------------------------
def render_steps(
    runbook: Runbook,
    entity: Any,
    tools: dict[str, Any],
    overrides: dict[str, Any] | None = None,
    binding: Binding | None = None,
) -> list[dict[str, Any]]:
    """Each step as a dict: number, title, text, and for executable steps the call it makes.

    ``tools`` maps the enabled tool names to their PortalTool (for the ``mutating`` flag). With an
    entity and a ``binding``, a change a step would make to any other entity is refused
    (:func:`unbound_change`).
    """
    variables = variables_for(entity, runbook, overrides)
    out = []
    for step in runbook.steps:
        item: dict[str, Any] = {"number": step.number, "title": step.title}
        if step.text:
            item["text"] = render_soft(step.text, variables)
        if step.action is None:
            item["manual"] = True
            out.append(item)
            continue
        item["tool"] = step.action.tool
        tool = tools.get(step.action.tool)
        if tool is None:
            item["blocked"] = f"step {step.number} needs tool {step.action.tool} which is not enabled"
        else:
            item["mutating"] = bool(tool.mutating)
            try:
                item["call"] = {"name": step.action.tool, "args": render(step.action.args, variables)}
            except RenderError as exc:
                item["blocked"] = f"step {step.number} {exc}"
            if item.get("mutating") and "call" in item and entity is not None and binding is not None:
                problem = unbound_change(item["call"], entity, runbook, binding)
                if problem:
                    del item["call"]
                    item["blocked"] = f"step {step.number} {problem}"
        out.append(item)
    return out


def unbound_change(call: dict[str, Any], entity: Any, runbook: Runbook, binding: Binding) -> str | None:
    """Why ``call`` may not run for ``entity``, or None when it changes that entity.

    A runbook run "for pricing" changes pricing, or what its ``per_entity`` section names for
    pricing (a database's consumer): never a service its text names outright, nor a runbook-wide
    default. Someone asking for pricing must not end up requesting a change to checkout.
    """
    allowed = {entity.ref}
    for value in _per_entity(entity, runbook).values():
        ref = binding.resolve(value) if isinstance(value, str) else None
        if ref:
            allowed.add(ref)
    try:
        target = binding.target_of(call["name"], call["args"])
    except Exception as exc:
        return f"would change something I cannot tie to {entity.ref} ({exc}), so I did not request it"
    if target in allowed:
        return None
    return (
        f"would change {target}, but this runbook is being run for {entity.ref}: a runbook's changes must act on "
        f"the entity it runs for ({{{{ entity }}}}, or a value its per_entity section gives for it), so I did not "
        "request it"
    )


@dataclass
class StepOutcome:
    step: dict[str, Any]
    status: str  # manual | done | failed | not-executed | blocked | pending | waiting-approval
    detail: str = ""


def walk(steps: list[dict[str, Any]], results: list[Any]) -> tuple[list[StepOutcome], list[dict[str, Any]], int]:
    """Match ``results`` (StepResults of the calls made so far, in order) to the steps.

    Returns each step's outcome so far, the next calls to make (empty when done): consecutive
    read-only steps together, a mutating step alone, and how many batches were already made.
    Nothing runs after a mutating step that did not run or failed: later steps may assume its change.
    """
    outcomes: list[StepOutcome] = []
    batch: list[dict[str, Any]] = []
    index = 0
    stopped: str | None = None
    batch_closed = False
    batches, previous_mutating = 0, True
    for step in steps:
        if step.get("manual"):
            outcomes.append(StepOutcome(step, "manual"))
            continue
        if "call" not in step:
            outcomes.append(StepOutcome(step, "blocked", step.get("blocked", "")))
            if step.get("mutating"):
                stopped = f"not executed: step {step['number']} ({step['title']}) did not run"
            continue
        if stopped:
            outcomes.append(StepOutcome(step, "not-executed", stopped))
            continue
        if index < len(results):
            result = results[index]
            index += 1
            if step.get("mutating") or previous_mutating:
                batches += 1
            previous_mutating = bool(step.get("mutating"))
            if result.ok:
                outcomes.append(StepOutcome(step, "done", summarize(result.result)))
            else:
                error = result.error or "failed"
                status = "not-executed" if error.startswith("not executed") else "failed"
                outcomes.append(StepOutcome(step, status, error))
                if step.get("mutating"):
                    stopped = f"not executed: step {step['number']} ({step['title']}) did not complete"
            continue
        # Not run yet: add it to the next batch if it fits.
        fits = not batch_closed and (not step.get("mutating") or not batch)
        if fits:
            batch.append(step)
            if step.get("mutating"):
                batch_closed = True
            status = "waiting-approval" if step.get("mutating") else "pending"
        else:
            batch_closed = True
            status = "pending"
        outcomes.append(StepOutcome(step, status))
    return outcomes, [dict(s["call"]) for s in batch], batches


# --- summaries and the report -------------------------------------------------------------------
SUMMARY_CHARS = 280


def summarize(result: dict[str, Any]) -> str:
    """One or two lines about a tool result, for the step report (the full result is in the trace)."""
    data = result.get("data")
    note = result.get("note")
    text = _summary_of(data)
    if note:
        text = f"{text} ({note})" if text else note
    return _clip(text or "done", SUMMARY_CHARS)


def _summary_of(data: Any) -> str:
    if data is None:
        return ""
    if isinstance(data, str):
        return data.strip().splitlines()[0] if data.strip() else ""
    if isinstance(data, list):
        head = "; ".join(_summary_of(item) for item in data[:3])
        return f"{len(data)} item(s): {head}" if head else f"{len(data)} item(s)"
    if isinstance(data, dict):
        for key in ("summary", "diagnosis", "headline", "message", "answer"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        parts = [piece for piece in (_shaped(data, key) for key in SHAPES) if piece]
        if parts:
            return "; ".join(parts)
        for key, value in data.items():
            if isinstance(value, list):
                head = "; ".join(_item_label(v) for v in value[:3])
                return f"{len(value)} {key}: {head}" if head else f"0 {key}"
        scalars = {k: v for k, v in data.items() if isinstance(v, str | int | float | bool)}
        return json.dumps(dict(list(scalars.items())[:6]), ensure_ascii=False) if scalars else ""
    return str(data)


SHAPES = (
    "workload",
    "workloads",
    "healthy",
    "findings",
    "hpas",
    "log",
    "current_revision",
    "last_change",
    "events",
    "status",
    "owner",
    "oncall",
)


def _shaped(data: dict[str, Any], key: str) -> str:
    """Common result fields (Kubernetes diagnosis, logs, history, catalog owner) in a few words."""
    value = data.get(key)
    if value is None or value == [] or value == {}:
        return ""
    if key == "workloads" and isinstance(value, list):
        return ", ".join(
            f"{w.get('kind')} {w.get('name')} ready {w.get('ready')}" for w in value[:3] if isinstance(w, dict)
        )
    if key == "healthy":
        return "healthy" if value is True and not data.get("findings") else ""
    if key == "findings" and isinstance(value, list):
        return "findings: " + " | ".join(_item_label(f) for f in value[:2])
    if key == "hpas" and isinstance(value, list):
        return ", ".join(
            f"HPA {h.get('name')} {h.get('current')}/{h.get('max')} replicas (max)"
            for h in value[:2]
            if isinstance(h, dict)
        )
    if key == "log" and isinstance(value, str):
        lines = [line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith("--")]
        first = next(
            (line for line in lines if re.search(r"error|fatal|panic|exception|killed", line, re.I)),
            lines[0] if lines else "",
        )
        where = f"{data.get('pod')}" + (" (previous container)" if data.get("previous") else "")
        return f"log of {where}: {first}"
    if key == "current_revision":
        return f"current revision {value}"
    if key == "last_change" and isinstance(value, dict):
        diff = value.get("diff")
        diff_text = _item_label(diff[0]) if isinstance(diff, list) and diff else (str(diff) if diff else "")
        return f"last change rev {value.get('from')}→{value.get('to')} at {value.get('at')}" + (
            f": {diff_text}" if diff_text else ""
        )
    if key == "events" and isinstance(value, list):
        return f"{len(value)} event(s), latest: {_item_label(value[0])}" if value else "no events"
    if isinstance(value, str):
        return f"{key}: {value}"
    if key in ("owner", "oncall") and isinstance(value, dict | list):
        return f"{key}: {_item_label(value[0] if isinstance(value, list) else value)}"
    return ""


def _item_label(item: Any) -> str:
    if isinstance(item, dict):
        for key in ("title", "summary", "message", "ref", "name", "reason"):
            if isinstance(item.get(key), str):
                return item[key]
        return json.dumps(item, ensure_ascii=False)[:80]
    return str(item)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def call_text(call: dict[str, Any]) -> str:
    args = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in call.get("args", {}).items())
    return f"`{call['name']}({args})`"


STATUS_LABEL = {
    "done": "done",
    "failed": "failed",
    "not-executed": "not executed",
    "blocked": "not executed",
    "manual": "manual",
    "pending": "not run yet",
    "waiting-approval": "waiting for approval",
}


def report(runbook: dict[str, Any], entity: str | None, outcomes: list[StepOutcome], *, finished: bool) -> str:
    """The step-by-step report: what ran and its result, what waits, what a person must do."""
    head = f"**Runbook `{runbook['name']}`: {runbook['title']}**"
    if entity:
        head += f" for `{entity}`"
    lines = [head]
    if runbook.get("source"):
        lines.append(f"Source: {runbook['source']}")
    lines.append("")
    for outcome in outcomes:
        step = outcome.step
        label = STATUS_LABEL[outcome.status]
        line = f"{step['number']}. **{step['title']}** [{label}]"
        if outcome.status in ("done", "failed", "waiting-approval", "pending", "not-executed") and "call" in step:
            line += f": {call_text(step['call'])}"
        lines.append(line)
        if outcome.status == "done":
            lines.append(f"   Result: {outcome.detail}")
        elif outcome.status in ("failed", "not-executed", "blocked") and outcome.detail:
            lines.append(f"   {_clip(outcome.detail, SUMMARY_CHARS)}")
        if outcome.status in ("manual", "blocked") and step.get("text"):
            lines.append("   " + _clip(step["text"], 500).replace("\n", "\n   "))
    counts: dict[str, int] = {}
    for outcome in outcomes:
        label = STATUS_LABEL[outcome.status]
        counts[label] = counts.get(label, 0) + 1
    order = ["done", "failed", "waiting for approval", "not executed", "not run yet", "manual"]
    summary = ", ".join(f"{counts[label]} {label}" for label in order if label in counts)
    lines += ["", f"{'Finished' if finished else 'So far'}: {summary}."]
    return "\n".join(lines)
