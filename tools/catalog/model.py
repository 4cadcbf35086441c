"""The Backstage entity model: entities, relations, entity references and well-known annotations.

Refs follow Backstage's ``parseEntityRef``/``stringifyEntityRef`` semantics: ``kind:namespace/name``
where kind and namespace are compared case-insensitively and written lower-cased, and a missing
kind or namespace is filled from defaults that depend on the field the ref came from (an owner
defaults to a Group, a ``providesApis`` entry to an API, and so on).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_NAMESPACE = "default"

# Kinds Backstage ships with (plus the scaffolder's Template), keyed by lower-case kind.
KNOWN_KINDS: dict[str, str] = {
    "component": "Component",
    "api": "API",
    "resource": "Resource",
    "system": "System",
    "domain": "Domain",
    "group": "Group",
    "user": "User",
    "location": "Location",
    "template": "Template",
}

# --- well-known annotations ---------------------------------------------------------------------
ANNOTATION_TECHDOCS_REF = "backstage.io/techdocs-ref"
ANNOTATION_KUBERNETES_ID = "backstage.io/kubernetes-id"
ANNOTATION_KUBERNETES_LABEL_SELECTOR = "backstage.io/kubernetes-label-selector"
ANNOTATION_KUBERNETES_NAMESPACE = "backstage.io/kubernetes-namespace"
ANNOTATION_SOURCE_LOCATION = "backstage.io/source-location"
ANNOTATION_MANAGED_BY_LOCATION = "backstage.io/managed-by-location"
ANNOTATION_MANAGED_BY_ORIGIN_LOCATION = "backstage.io/managed-by-origin-location"
ANNOTATION_GITHUB_PROJECT_SLUG = "github.com/project-slug"
ANNOTATION_PAGERDUTY_SERVICE_ID = "pagerduty.com/service-id"
#: Ours: comma-separated user refs currently on call, primary first. Set on a Group; a Component
#: (or any owned entity) may override it for itself.
ANNOTATION_ONCALL = "portal-agent.io/oncall"


class InvalidRefError(ValueError):
    """An entity reference that cannot be parsed (empty parts, or no kind and no default kind)."""


class CompoundRef(NamedTuple):
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return stringify_ref(self.kind, self.namespace, self.name)


def stringify_ref(kind: str, namespace: str, name: str) -> str:
    """``component:default/checkout`` — kind and namespace lower-cased, as Backstage writes refs."""
    return f"{kind.lower()}:{(namespace or DEFAULT_NAMESPACE).lower()}/{name}"


def parse_ref(
    text: str,
    default_kind: str | None = None,
    default_namespace: str = DEFAULT_NAMESPACE,
) -> CompoundRef:
    """Parse ``kind:namespace/name``, ``kind:name``, ``namespace/name`` or ``name``.

    Mirrors Backstage's ``parseRefString``: a ``/`` before the first ``:`` means there is no kind
    (the colon belongs to the name); empty parts are an error; a missing kind without a default
    kind is an error (Backstage refuses e.g. a bare ``dependsOn: [foo]``).
    """
    if not isinstance(text, str):
        raise InvalidRefError(f"entity reference must be a string, got {type(text).__name__}")
    ref = text.strip()
    if not ref:
        raise InvalidRefError("entity reference is empty")
    colon = ref.find(":")
    slash = ref.find("/")
    if slash != -1 and colon != -1 and slash < colon:
        colon = -1
    kind = ref[:colon] if colon != -1 else None
    namespace = ref[colon + 1 : slash] if slash != -1 else None
    name = ref[max(colon + 1, slash + 1) :]
    if kind == "" or namespace == "" or name == "":
        raise InvalidRefError(f"entity reference {text!r} has an empty kind, namespace or name")
    kind = kind or default_kind
    if not kind:
        raise InvalidRefError(
            f"entity reference {text!r} has no kind (e.g. write 'component:{name}' or 'resource:{name}')"
        )
    return CompoundRef(kind.lower(), (namespace or default_namespace or DEFAULT_NAMESPACE).lower(), name)


def normalize_ref(text: str, default_kind: str | None = None, default_namespace: str = DEFAULT_NAMESPACE) -> str:
    """A ref string in canonical form, for comparisons and dictionary keys (fully lower-cased)."""
    return str(parse_ref(text, default_kind, default_namespace)).lower()


# Which kinds carry which entity-reference fields that summaries show.
_REF_FIELDS_OF = {
    "owner": ("component", "api", "resource", "system", "domain", "template"),
    "system": ("component", "api", "resource"),
    "domain": ("system",),
}


class Link(BaseModel):
    model_config = ConfigDict(extra="allow")

    url: str
    title: str | None = None
    icon: str | None = None
    type: str | None = None


class Metadata(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    namespace: str = DEFAULT_NAMESPACE
    title: str | None = None
    description: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)


class Relation(BaseModel):
    """A directed relation from the entity that holds it to ``target_ref``."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    type: str
    target_ref: str = Field(alias="targetRef")


class Entity(BaseModel):
    """One catalog entity, as Backstage describes it, plus where it was loaded from."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    apiVersion: str
    kind: str
    metadata: Metadata
    spec: dict[str, Any] = Field(default_factory=dict)
    relations: list[Relation] = Field(default_factory=list)
    source_path: str | None = None
    source_line: int | None = None

    # --- identity ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def namespace(self) -> str:
        return self.metadata.namespace or DEFAULT_NAMESPACE

    @property
    def ref(self) -> str:
        return stringify_ref(self.kind, self.namespace, self.metadata.name)

    @property
    def key(self) -> str:
        """The ref lower-cased: refs compare case-insensitively."""
        return self.ref.lower()

    @property
    def kind_lower(self) -> str:
        return self.kind.lower()

    # --- common fields -------------------------------------------------------------------------
    @property
    def title(self) -> str | None:
        return self.metadata.title

    @property
    def display_name(self) -> str:
        profile = self.profile
        return self.metadata.title or profile.get("displayName") or self.metadata.name

    @property
    def description(self) -> str | None:
        return self.metadata.description

    @property
    def type(self) -> str | None:
        value = self.spec.get("type")
        return value if isinstance(value, str) else None

    @property
    def lifecycle(self) -> str | None:
        value = self.spec.get("lifecycle")
        return value if isinstance(value, str) else None

    @property
    def tags(self) -> list[str]:
        return self.metadata.tags

    @property
    def annotations(self) -> dict[str, str]:
        return self.metadata.annotations

    @property
    def profile(self) -> dict[str, Any]:
        value = self.spec.get("profile")
        return value if isinstance(value, dict) else {}

    @property
    def email(self) -> str | None:
        value = self.profile.get("email")
        return value if isinstance(value, str) else None

    def relation_targets(self, type_: str) -> list[str]:
        return [r.target_ref for r in self.relations if r.type == type_]

    def summary(self, description_chars: int = 160) -> dict[str, Any]:
        """A compact dict for tool outputs: only the fields that are set."""
        out: dict[str, Any] = {"ref": self.ref, "kind": self.kind, "name": self.name}
        if self.metadata.title:
            out["title"] = self.metadata.title
        for key in ("type", "lifecycle"):
            value = self.spec.get(key)
            if isinstance(value, str):
                out[key] = value
        for key, default_kind in (("owner", "group"), ("system", "system"), ("domain", "domain")):
            value = self.spec.get(key)
            if isinstance(value, str) and self.kind_lower in _REF_FIELDS_OF.get(key, ()):
                try:  # written as a full ref, the way relations name it
                    out[key] = str(parse_ref(value, default_kind, self.namespace))
                except InvalidRefError:
                    out[key] = value
        if self.description:
            text = " ".join(self.description.split())
            out["description"] = text if len(text) <= description_chars else text[: description_chars - 1] + "…"
        if self.tags:
            out["tags"] = self.tags
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], source_path: str | None = None, line: int | None = None) -> Entity:
        """Build from a raw document; ``relations`` may use Backstage's ``targetRef`` form."""
        payload = dict(data)
        relations = payload.pop("relations", None) or []
        payload["relations"] = [
            Relation(type=r["type"], target_ref=r.get("targetRef") or str(CompoundRef(**r["target"])))
            for r in relations
            if isinstance(r, dict) and r.get("type") and (r.get("targetRef") or isinstance(r.get("target"), dict))
        ]
        payload["source_path"] = source_path
        payload["source_line"] = line
        return cls.model_validate(payload)
