"""What a loaded runbook looks like, whatever format it was written in.

Two formats share one model: the prometheus-operator format (H1 = alert name, sections
Meaning/Impact/Diagnosis/Mitigation, shell commands in the text) and portal-agent's executable
format (YAML front matter plus numbered steps, some of which name a tool to call). Keeping one
model lets search, ``runbook_get`` and the planner treat both alike: a prometheus-operator runbook
is simply a runbook with no executable steps.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Format = Literal["prometheus-operator", "executable"]

# The four sections of the prometheus-operator runbook template (content/docs/add-runbook.md).
STANDARD_SECTIONS = ("Meaning", "Impact", "Diagnosis", "Mitigation")


class Command(BaseModel):
    """A shell command found in a runbook, exactly as written (placeholders are not filled in)."""

    text: str
    section: str | None = None
    placeholders: list[str] = Field(default_factory=list, description="$NAMESPACE, <name_of_pod>, …")


class Section(BaseModel):
    title: str
    level: int = 2
    text: str = ""
    commands: list[Command] = Field(default_factory=list)


class StepAction(BaseModel):
    """The ```portal-agent block of a step: which tool to call, with which (templated) arguments."""

    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    line: int | None = Field(None, description="Line of the block in the file, for error messages")


class Step(BaseModel):
    number: int
    title: str
    text: str = Field("", description="The step's instructions for a person, without the portal-agent block")
    action: StepAction | None = None
    commands: list[Command] = Field(default_factory=list)

    @property
    def manual(self) -> bool:
        return self.action is None


class Runbook(BaseModel):
    name: str = Field(description="Key: the file stem, or the alert name for prometheus-operator runbooks")
    title: str
    format: Format
    path: str
    description: str = ""
    alerts: list[str] = Field(default_factory=list)
    applies_to: list[str] = Field(default_factory=list, description="Entity refs, kind:X, tag:X, type:X or *")
    owner: str | None = None
    keywords: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict, description="Defaults for {{ placeholders }}")
    per_entity: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Param values per entity")
    sections: list[Section] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    links: list[str] = Field(default_factory=list, description="Other runbooks referenced ({{< ref >}} shortcodes)")
    shortcodes: list[str] = Field(default_factory=list, description="Hugo shortcodes as written in the file")
    front_matter: bool = False
    pointer: bool = Field(False, description="No content sections: the runbook only points elsewhere")

    @property
    def commands(self) -> list[Command]:
        out = [c for s in self.sections for c in s.commands]
        out += [c for s in self.steps for c in s.commands]
        return out

    @property
    def placeholders(self) -> list[str]:
        return list(dict.fromkeys(p for c in self.commands for p in c.placeholders))

    def section(self, title: str) -> Section | None:
        wanted = title.strip().lower()
        return next((s for s in self.sections if s.title.strip().lower() == wanted), None)

    @property
    def has_standard_sections(self) -> bool:
        return all(self.section(name) is not None for name in STANDARD_SECTIONS)

    @property
    def executable_steps(self) -> list[Step]:
        return [s for s in self.steps if s.action is not None]


class LoadProblem(BaseModel):
    """A file that could not be loaded (or part of one), and why. The rest of the folder still loads."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"
