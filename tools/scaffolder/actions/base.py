"""What an action is and what it may use while it runs.

Actions mirror Backstage's built-in template actions: an id, JSON Schemas for input and output, a
``supports_dry_run`` flag (actions without it are skipped in a dry run, and their outputs are
predicted) and a handler that works inside the run's workspace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.scaffolder.model import Template
    from tools.scaffolder.publishers import PublishBackend


class ActionError(ValueError):
    """An action failed; the message names the step and why."""


class UnknownActionError(ActionError):
    """A step names an action that is not registered here."""


@dataclass
class RunContext:
    """Shared by every step of one run."""

    template: Template
    workspace: Path
    dry_run: bool
    publisher: PublishBackend | None = None
    runtime: Any = None  # a contract.runtime.FamilyRuntime, for catalog:register
    user_ref: str | None = None
    log: list[str] = field(default_factory=list)
    not_rendered: set[str] = field(default_factory=set)  # workspace paths copied without rendering
    published: dict[str, Path] = field(default_factory=dict)  # contents URL → published directory
    registered: list[str] = field(default_factory=list)  # entity refs added to the catalog
    resolve_remote: Callable[[str], Path | None] | None = None  # a fetcher for non-local URLs


@dataclass
class ActionContext:
    """What one action call sees: its step, the run, and where its outputs go."""

    run: RunContext
    step_id: str
    step_name: str
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def workspace(self) -> Path:
        return self.run.workspace

    def output(self, name: str, value: Any) -> None:
        self.outputs[name] = value

    def info(self, message: str) -> None:
        self.run.log.append(f"[{self.step_id}] {message}")


@dataclass
class Action:
    id: str
    description: str
    handler: Callable[[dict[str, Any], ActionContext], None]
    input_schema: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    supports_dry_run: bool = False
    # predicted outputs for a dry run of an action that cannot run dry (e.g. the URL it would publish)
    predict: Callable[[dict[str, Any], ActionContext], dict[str, Any]] | None = None
    publishes: bool = False  # changes something outside the workspace (needs an approval)


def safe_child(root: Path, relative: str, what: str = "path") -> Path:
    """``root / relative`` refusing anything that escapes ``root`` (Backstage's resolveSafeChildPath)."""
    candidate = (root / relative).resolve()
    base = root.resolve()
    if candidate != base and base not in candidate.parents:
        raise ActionError(f"{what} {relative!r} is outside the workspace")
    return candidate


def example_output(schema: dict[str, Any] | None) -> Any:
    """Backstage's ``generateExampleOutput``: placeholder outputs from an output schema."""
    if not schema:
        return {}
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    kind = schema.get("type")
    if kind == "object":
        return {k: example_output(v) for k, v in (schema.get("properties") or {}).items()}
    if kind == "array":
        items = schema.get("items")
        return [example_output(items)] if isinstance(items, dict) else []
    if kind == "string":
        return "<example>"
    if kind == "number":
        return 0
    if kind == "boolean":
        return False
    return "<unknown>"
