"""Running a template: parameters checked, steps run in a scratch workspace, outputs rendered.

The same engine does the dry run (publishing actions skipped, their outputs predicted, the whole
tree kept for display) and the real run (after an approval). It follows Backstage's
``NunjucksWorkflowRunner``: ``if`` skips a step when falsy; ``each`` runs it once per item of a list
or entry of an object with ``each.key``/``each.value`` in scope and collects each output into a
list; inputs are rendered with ``parameters``, ``steps``, ``user``, ``secrets`` and ``context``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from tools.scaffolder import parameters as params
from tools.scaffolder.actions import ActionError, get_action, runnable
from tools.scaffolder.actions.base import ActionContext, RunContext
from tools.scaffolder.expressions import TemplateRenderError, render_value, truthy
from tools.scaffolder.model import Template


class ParameterError(ValueError):
    """The values do not satisfy the template's parameters."""

    def __init__(self, validation: params.Validation):
        self.validation = validation
        parts = []
        if validation.missing:
            parts.append("missing required parameters: " + ", ".join(validation.missing))
        parts.extend(validation.errors)
        super().__init__("; ".join(parts))


class StepFailed(RuntimeError):
    def __init__(self, step_id: str, action: str, message: str):
        self.step_id, self.action = step_id, action
        super().__init__(f"step {step_id!r} ({action}) failed: {message}")


@dataclass
class StepReport:
    id: str
    name: str
    action: str
    status: str  # completed | skipped-if | skipped-dry-run | failed
    note: str | None = None
    iterations: int | None = None


@dataclass
class RunResult:
    template: str
    dry_run: bool
    values: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    not_rendered: set[str] = field(default_factory=set)
    steps: list[StepReport] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    output: dict[str, Any] = field(default_factory=dict)
    registered: list[str] = field(default_factory=list)
    skipped_inputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # dry run: inputs of skipped steps

    @property
    def links(self) -> list[dict[str, Any]]:
        return [link for link in self.output.get("links") or [] if isinstance(link, dict)]

    @property
    def text(self) -> list[dict[str, Any]]:
        return [t for t in self.output.get("text") or [] if isinstance(t, dict)]

    def text_of(self, path: str) -> str | None:
        data = self.files.get(path)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None


def publishing_actions(template: Template) -> list[str]:
    """The action ids of the template that change something outside the workspace."""
    return [s.action for s in template.steps if _publishes(s.action)]


def _publishes(action_id: str) -> bool:
    try:
        return get_action(action_id).publishes
    except ActionError:
        return False


def check_runnable(template: Template) -> list[str]:
    """Problems that make a publishing run impossible (checked before anything is published)."""
    problems = []
    for step in template.steps:
        try:
            get_action(step.action)
        except ActionError as exc:
            problems.append(f"step {step.id!r}: {exc}")
            continue
        if not runnable(step.action):
            problems.append(f"step {step.id!r}: action {step.action!r} is a Backstage action portal-agent cannot run")
    return problems


def run_template(
    template: Template,
    values: dict[str, Any],
    *,
    dry_run: bool = True,
    publisher: Any = None,
    runtime: Any = None,
    user: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    keep_workspace: Path | None = None,
) -> RunResult:
    """Run ``template`` with ``values``. Raises ParameterError, StepFailed or ActionError."""
    validation = params.validate(template, values)
    if not validation.ok:
        raise ParameterError(validation)
    if not dry_run:
        problems = check_runnable(template)
        if problems:
            raise ActionError("; ".join(problems))
    workspace = Path(tempfile.mkdtemp(prefix="scaffolder-"))
    run = RunContext(
        template=template,
        workspace=workspace,
        dry_run=dry_run,
        publisher=publisher,
        runtime=runtime,
        user_ref=(user or {}).get("ref"),
    )
    context: dict[str, Any] = {
        "parameters": validation.values,
        "steps": {},
        "user": user or {},
        "secrets": {} if dry_run else dict(secrets or {}),
        "context": {"task": {"id": f"dry-run-{uuid.uuid4().hex[:8]}" if dry_run else uuid.uuid4().hex}},
        "environment": {"parameters": {}, "secrets": {}},
    }
    result = RunResult(template=template.ref, dry_run=dry_run, values=validation.values)
    try:
        for step in template.steps:
            result.steps.append(_run_step(step, context, run, result))
        try:
            result.output = render_value(template.output, context, where="output") or {}
        except TemplateRenderError as exc:
            raise StepFailed("output", "output", str(exc)) from exc
        result.files = _snapshot(workspace)
        result.not_rendered = {p for p in run.not_rendered if p in result.files}
        result.registered = list(run.registered)
        if keep_workspace is not None:
            shutil.copytree(workspace, keep_workspace, dirs_exist_ok=True)
    finally:
        result.log = list(run.log)
        shutil.rmtree(workspace, ignore_errors=True)
    return result


def _run_step(step, context: dict[str, Any], run: RunContext, result: RunResult) -> StepReport:
    name = step.name or step.id
    report = StepReport(id=step.id, name=name, action=step.action, status="completed")
    where = f"step {step.id!r}"
    try:
        if step.if_ is False or (
            isinstance(step.if_, str)
            and step.each is None
            and not truthy(render_value(step.if_, context, where=f"{where}.if"))
        ):
            report.status = "skipped-if"
            run.log.append(f"[{step.id}] Skipping step {step.id} because its if condition was false")
            return report
        action = get_action(step.action)
        ctx = ActionContext(run=run, step_id=step.id, step_name=name)
        if run.dry_run and not action.supports_dry_run:
            report.status = "skipped-dry-run"
            report.note = f"{action.id} does not run in a dry run"
            rendered = render_value(step.input, context, where=f"{where}.input") or {}
            result.skipped_inputs[step.id] = rendered
            predicted = action.predict(rendered, ctx) if action.predict else None
            from tools.scaffolder.actions.base import example_output

            context["steps"][step.id] = {
                "output": predicted if predicted is not None else example_output(action.output_schema)
            }
            run.log.append(f"[{step.id}] Skipping because {action.id} does not support dry-run")
            return report
        iterations: list[dict[str, Any]] = [{}]
        if step.each is not None:
            resolved = render_value(step.each, context, where=f"{where}.each")
            if not resolved:
                raise ActionError(
                    f'Invalid value on action {action.id}.each parameter, "{step.each}" cannot be resolved to a value'
                )
            if isinstance(resolved, list):
                iterations = [{"each": {"key": str(i), "value": v}} for i, v in enumerate(resolved)]
            elif isinstance(resolved, dict):
                iterations = [{"each": {"key": k, "value": v}} for k, v in resolved.items()]
            elif isinstance(resolved, str):
                iterations = [{"each": {"key": str(i), "value": v}} for i, v in enumerate(resolved)]
            else:
                raise ActionError(f"{where}: each must resolve to an array or object, got {type(resolved).__name__}")
            report.iterations = len(iterations)
        planned = []
        for iteration in iterations:
            full = {**context, **iteration}
            should_run = (
                "each" not in iteration or not step.if_ or truthy(render_value(step.if_, full, where=f"{where}.if"))
            )
            rendered = render_value(step.input, full, where=f"{where}.input") or {}
            planned.append((iteration, should_run, rendered))
        for iteration, should_run, rendered in planned:
            if should_run and action.input_schema:
                errors = [e.message for e in Draft7Validator(action.input_schema).iter_errors(rendered)]
                if errors:
                    suffix = f"[{iteration['each']['key']}]" if "each" in iteration else ""
                    raise ActionError(f"Invalid input passed to action {action.id}{suffix}, {', '.join(errors)}")
        outputs: dict[str, Any] = {}
        for iteration, should_run, rendered in planned:
            if not should_run:
                run.log.append(f"[{step.id}] Skipping step each: {iteration['each']}")
                continue
            ctx = ActionContext(run=run, step_id=step.id, step_name=name)
            action.handler(rendered, ctx)
            for key, value in ctx.outputs.items():
                if step.each is not None:
                    outputs.setdefault(key, []).append(value)
                else:
                    outputs[key] = value
        context["steps"][step.id] = {"output": outputs}
        return report
    except (ActionError, TemplateRenderError) as exc:
        raise StepFailed(step.id, step.action, str(exc)) from exc


def _snapshot(workspace: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(workspace):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            files[path.relative_to(workspace).as_posix()] = path.read_bytes()
    return files
