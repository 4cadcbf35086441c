"""A ``scaffolder.backstage.io/v1beta3`` Template, read from a file or a catalog entity.

Only the shape is checked here (apiVersion, kind, steps with an ``action``); the meaning of the
parameters and steps is the engine's business. Errors name the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

API_VERSION = "scaffolder.backstage.io/v1beta3"


class TemplateError(ValueError):
    """A template file that cannot be used; the message names the file and the field."""


class Step(BaseModel):
    id: str
    name: str | None = None
    action: str
    input: dict[str, Any] = Field(default_factory=dict)
    if_: Any = Field(None, alias="if")
    each: Any = None

    model_config = {"populate_by_name": True}


class Template(BaseModel):
    """A template as the engine runs it: where its files are, its form steps and its steps."""

    name: str
    namespace: str = "default"
    title: str | None = None
    description: str | None = None
    owner: str | None = None
    type: str | None = None
    tags: list[str] = Field(default_factory=list)
    parameters: list[dict[str, Any]] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    output: dict[str, Any] = Field(default_factory=dict)
    base_dir: Path
    source: str | None = None  # the file it came from

    @property
    def ref(self) -> str:
        return f"template:{self.namespace}/{self.name}"

    @property
    def display(self) -> str:
        return self.title or self.name

    @classmethod
    def from_document(cls, doc: dict[str, Any], base_dir: Path, source: str | None = None) -> Template:
        where = source or "template"
        if not isinstance(doc, dict):
            raise TemplateError(f"{where}: a template must be a YAML mapping")
        if doc.get("apiVersion") != API_VERSION:
            raise TemplateError(f"{where}: apiVersion must be {API_VERSION!r}, got {doc.get('apiVersion')!r}")
        if str(doc.get("kind", "")).lower() != "template":
            raise TemplateError(f"{where}: kind must be 'Template', got {doc.get('kind')!r}")
        metadata = doc.get("metadata") or {}
        spec = doc.get("spec") or {}
        if not metadata.get("name"):
            raise TemplateError(f"{where}: metadata.name is required")
        raw_params = spec.get("parameters") or []
        params = raw_params if isinstance(raw_params, list) else [raw_params]
        for i, form in enumerate(params):
            if not isinstance(form, dict):
                raise TemplateError(f"{where}: spec.parameters[{i}] must be a JSON Schema object")
        steps = []
        seen: set[str] = set()
        for i, raw in enumerate(spec.get("steps") or []):
            if not isinstance(raw, dict) or not raw.get("action"):
                raise TemplateError(f"{where}: spec.steps[{i}] must have an 'action'")
            step_id = str(raw.get("id") or f"step-{i}")
            if step_id in seen:
                raise TemplateError(f"{where}: spec.steps[{i}]: duplicate step id {step_id!r}")
            seen.add(step_id)
            data = {**raw, "id": step_id, "input": raw.get("input") or {}}
            if not isinstance(data["input"], dict):
                raise TemplateError(f"{where}: spec.steps[{i}].input must be a mapping")
            steps.append(Step.model_validate(data))
        return cls(
            name=str(metadata["name"]),
            namespace=str(metadata.get("namespace") or "default"),
            title=metadata.get("title"),
            description=metadata.get("description"),
            owner=spec.get("owner"),
            type=spec.get("type"),
            tags=list(metadata.get("tags") or []),
            parameters=params,
            steps=steps,
            output=spec.get("output") or {},
            base_dir=base_dir,
            source=source,
        )

    @classmethod
    def from_file(cls, path: str | Path) -> Template:
        path = Path(path)
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
        except (OSError, yaml.YAMLError) as exc:
            raise TemplateError(f"{path}: cannot read template: {exc}") from exc
        templates = [d for d in docs if isinstance(d, dict) and str(d.get("kind", "")).lower() == "template"]
        if not templates:
            raise TemplateError(f"{path}: no document of kind Template")
        return cls.from_document(templates[0], path.parent, str(path))

    @classmethod
    def from_entity(cls, entity: Any) -> Template:
        """From a catalog entity (``tools.catalog.model.Entity``) whose file is known."""
        source = getattr(entity, "source_path", None)
        base = Path(source).parent if source else Path.cwd()
        doc = {
            "apiVersion": entity.apiVersion,
            "kind": entity.kind,
            "metadata": entity.metadata.model_dump(by_alias=True, exclude_none=True),
            "spec": entity.spec,
        }
        return cls.from_document(doc, base, source)

    # --- descriptions ----------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "title": self.display,
            "description": (self.description or "").strip()[:300],
            "type": self.type,
            "owner": self.owner,
            "tags": self.tags,
        }
