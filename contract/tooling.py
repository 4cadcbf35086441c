"""The contract every tool honours, whatever family it belongs to.

A tool has a name, a description written for a model, a pydantic argument schema and a flag
``mutating``. It returns a :class:`ToolResult`: compact data, the exact query it ran and any error
in full, so that a model (or the offline planner) can self-correct. The graph, not the tool, caps
the text sent to the model and says so when it truncates.

Mutating tools additionally say which catalog entity they act on, how risky they are, and how to
produce a dry-run preview; the approval gate in the graph uses those to build the request that a
person must approve before :meth:`PortalTool.run` is ever called for them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from contract.principal import Principal
    from contract.runtime import FamilyRuntime

Risk = Literal["low", "medium", "high"]


class Citation(BaseModel):
    title: str
    url: str
    snippet: str | None = None


class Attachment(BaseModel):
    """A file a result comes with for people, not for the model: connectors show or upload it.

    Tools declare their files here so that no connector has to guess them from file names in
    ``data``; a connector still checks the file before it sends it anywhere.
    """

    kind: Literal["chart"] = "chart"
    path: str
    media_type: str = Field(description="image/png, image/svg+xml…")
    title: str | None = None


class ToolResult(BaseModel):
    """What a tool hands back. ``data`` must be JSON-serialisable and as small as possible."""

    ok: bool = True
    query: dict[str, Any] = Field(default_factory=dict, description="The exact query that was run")
    data: Any = None
    error: str | None = None
    source: str | None = Field(None, description="Which source answered (file, URL, cluster…)")
    refs: list[str] = Field(default_factory=list, description="Entity refs the result is about")
    citations: list[Citation] = Field(default_factory=list)
    note: str | None = Field(None, description="Anything the reader must know (partial data, …)")
    attachments: list[Attachment] = Field(default_factory=list, description="Files for people; never sent to the model")

    @classmethod
    def failure(cls, error: str, query: dict[str, Any] | None = None, **kw: Any) -> ToolResult:
        return cls(ok=False, error=error, query=query or {}, **kw)

    def to_text(self) -> str:
        """Compact JSON for the model; empty fields are left out to save tokens, attachments always."""
        payload = self.model_dump(exclude_none=True, exclude_defaults=False, exclude={"attachments"})
        for key in ("refs", "citations", "query"):
            if not payload.get(key):
                payload.pop(key, None)
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)


class Preview(BaseModel):
    """A dry run of a mutating call: what would change, shown to the approver."""

    summary: str
    details: str | None = Field(None, description="Diff, rendered manifest, file tree…")
    ok: bool = True
    error: str | None = None


@dataclass
class ToolContext:
    """What a tool may use while it runs: the sources, and who is asking."""

    runtime: FamilyRuntime
    principal: Principal
    thread_id: str | None = None


Func = Callable[[Any, ToolContext], ToolResult]


@dataclass
class PortalTool:
    """One tool. ``func`` receives a validated instance of ``args_schema`` and the context."""

    name: str
    description: str
    args_schema: type[BaseModel]
    func: Func
    family: str
    mutating: bool = False
    # --- mutating tools only -------------------------------------------------------------------
    target: Callable[[Any, ToolContext], str] | None = None
    preview: Callable[[Any, ToolContext], Preview] | None = None
    risk: Callable[[Any, ToolContext], Risk] | Risk = "medium"
    action: str | None = None  # a human phrase: "rollout restart", "scale"
    destructive: bool = True  # may it remove or overwrite something? (MCP's destructiveHint)
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mutating and (self.target is None or self.preview is None):
            raise ValueError(f"mutating tool {self.name!r} must define target() and preview()")

    def parse(self, args: dict[str, Any]) -> BaseModel:
        return self.args_schema.model_validate(args)

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        """Validate and run. Errors become a failed result, never an exception, so a model sees them.

        The approval gate is not here on purpose: the graph's tool node refuses a mutating call
        without a valid approval before it ever reaches this method.
        """
        try:
            parsed = self.parse(args)
        except Exception as exc:  # pydantic.ValidationError, mostly
            return ToolResult.failure(f"invalid arguments for {self.name}: {exc}", {"tool": self.name, **args})
        try:
            result = self.func(parsed, ctx)
        except Exception as exc:
            return ToolResult.failure(f"{type(exc).__name__}: {exc}", {"tool": self.name, **args})
        if not result.query:
            result.query = {"tool": self.name, **parsed.model_dump(exclude_none=True)}
        return result

    def risk_of(self, parsed: BaseModel, ctx: ToolContext) -> Risk:
        return self.risk(parsed, ctx) if callable(self.risk) else self.risk

    def model_schema(self) -> dict[str, Any]:
        """The OpenAI-style function schema used by ``bind_tools``."""
        from langchain_core.utils.function_calling import convert_to_openai_tool

        schema = convert_to_openai_tool(self.args_schema)
        schema["function"]["name"] = self.name
        schema["function"]["description"] = self.description
        return schema
