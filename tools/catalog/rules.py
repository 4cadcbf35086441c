"""Backstage's validation rules for an entity document, as plain functions returning problems.

The loader uses :func:`check_entity` to refuse the documents Backstage would refuse (the rest of
the file still loads); :mod:`tools.catalog.validate` adds lint-only warnings on top. The rules are
those of ``@backstage/catalog-model``: ``KubernetesValidatorFunctions`` for apiVersion, kind,
names, namespaces, labels and annotations; ``isValidTag`` for tags; and the kinds' JSON schemas for
required spec fields.
"""

from __future__ import annotations

import re
from typing import Any

_NAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_LABEL_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_KIND_RE = re.compile(r"^[a-zA-Z][a-z0-9A-Z]*$")
_VERSION_RE = re.compile(r"^[a-z0-9A-Z]+$")
_TAG_RE = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")

# Required spec fields per kind (from the kinds' JSON schemas) and which of them are lists.
REQUIRED_SPEC: dict[str, tuple[str, ...]] = {
    "component": ("type", "lifecycle", "owner"),
    "api": ("type", "lifecycle", "owner", "definition"),
    "resource": ("type", "owner"),
    "system": ("owner",),
    "domain": ("owner",),
    "group": ("type", "children"),
    "user": ("memberOf",),
    "template": ("type", "steps"),
}
LIST_FIELDS = {
    "children",
    "memberOf",
    "members",
    "providesApis",
    "consumesApis",
    "dependsOn",
    "dependencyOf",
    "steps",
    "targets",
}
STRING_FIELDS = {"type", "lifecycle", "owner", "system", "domain", "subcomponentOf", "parent", "subdomainOf", "target"}


def is_valid_name(value: Any) -> bool:
    """Backstage entity names: 1–63 chars of ``[a-zA-Z0-9]`` separated by single ``-_.`` runs."""
    return isinstance(value, str) and 1 <= len(value) <= 63 and bool(_NAME_RE.match(value))


def is_valid_namespace(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 63 and bool(_DNS_LABEL_RE.match(value))


def is_valid_kind(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 63 and bool(_KIND_RE.match(value))


def _is_dns_subdomain(value: str) -> bool:
    return 1 <= len(value) <= 253 and all(1 <= len(p) <= 63 and _DNS_LABEL_RE.match(p) for p in value.split("."))


def is_valid_api_version(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = value.split("/")
    if len(parts) == 1:
        return 1 <= len(parts[0]) <= 63 and bool(_VERSION_RE.match(parts[0]))
    if len(parts) == 2:
        return _is_dns_subdomain(parts[0]) and 1 <= len(parts[1]) <= 63 and bool(_VERSION_RE.match(parts[1]))
    return False


def _is_valid_prefixed_key(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = value.split("/")
    if len(parts) == 1:
        return is_valid_name(parts[0])
    return len(parts) == 2 and _is_dns_subdomain(parts[0]) and is_valid_name(parts[1])


def is_valid_tag(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 63 and bool(_TAG_RE.match(value))


def is_placeholder(value: Any) -> bool:
    """An unresolved ``$text``/``$json``/``$yaml`` placeholder (e.g. a remote URL Backstage would fetch)."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("$text", "$json", "$yaml")


def check_entity(doc: dict[str, Any]) -> list[str]:
    """Problems that make Backstage reject this document; empty when it is a valid entity."""
    problems: list[str] = []
    if not is_valid_api_version(doc.get("apiVersion")):
        problems.append(f"apiVersion {doc.get('apiVersion')!r} is not valid (expected e.g. backstage.io/v1alpha1)")
    kind = doc.get("kind")
    if not is_valid_kind(kind):
        problems.append(f"kind {kind!r} is not valid (letters and digits, starting with a letter)")
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict):
        problems.append("metadata is missing or not a mapping")
        return problems
    name = metadata.get("name")
    if name is None:
        problems.append("metadata.name is missing")
    elif not is_valid_name(name):
        problems.append(
            f"metadata.name {name!r} is not valid: 1-63 characters [a-zA-Z0-9] separated by "
            "any of [-_.], starting and ending with a letter or digit"
        )
    namespace = metadata.get("namespace")
    if namespace is not None and not is_valid_namespace(namespace):
        problems.append(f"metadata.namespace {namespace!r} is not valid (lower-case DNS label, max 63)")
    for field in ("title", "description"):
        if field in metadata and metadata[field] is not None and not isinstance(metadata[field], str):
            problems.append(f"metadata.{field} must be a string")
    labels = metadata.get("labels")
    if labels is not None:
        if not isinstance(labels, dict):
            problems.append("metadata.labels must be a mapping")
        else:
            for key, value in labels.items():
                if not _is_valid_prefixed_key(key):
                    problems.append(f"metadata.labels key {key!r} is not valid")
                if not (value == "" or is_valid_name(value)):
                    problems.append(f"metadata.labels.{key} value {value!r} is not valid")
    annotations = metadata.get("annotations")
    if annotations is not None:
        if not isinstance(annotations, dict):
            problems.append("metadata.annotations must be a mapping")
        else:
            for key, value in annotations.items():
                if not _is_valid_prefixed_key(key):
                    problems.append(f"metadata.annotations key {key!r} is not valid")
                if not isinstance(value, str):
                    problems.append(f"metadata.annotations.{key} must be a string")
    tags = metadata.get("tags")
    if tags is not None:
        if not isinstance(tags, list):
            problems.append("metadata.tags must be a list")
        else:
            for tag in tags:
                if not is_valid_tag(tag):
                    problems.append(
                        f"metadata.tags entry {tag!r} is not valid (lower-case [a-z0-9:+#] words "
                        "separated by '-', max 63)"
                    )
    links = metadata.get("links")
    if links is not None and (
        not isinstance(links, list) or not all(isinstance(x, dict) and isinstance(x.get("url"), str) for x in links)
    ):
        problems.append("metadata.links must be a list of mappings with a url")
    spec = doc.get("spec")
    if spec is not None and not isinstance(spec, dict):
        problems.append("spec must be a mapping")
        return problems
    problems.extend(check_spec(str(kind or ""), doc.get("apiVersion"), spec))
    return problems


def check_spec(kind: str, api_version: Any, spec: dict[str, Any] | None) -> list[str]:
    """Required fields and field types of the known kinds' specs."""
    kind_l = kind.lower()
    problems: list[str] = []
    required = REQUIRED_SPEC.get(kind_l)
    if kind_l == "template" and isinstance(api_version, str) and not api_version.startswith("scaffolder."):
        required = None  # older template versions (v1alpha1/v1beta2) have other shapes
    if required is None and kind_l != "location":
        return problems
    if spec is None:
        return [f"spec is missing (required for kind {kind})"]
    if kind_l == "api" and spec.get("type") == "mcp-server":
        required = ("type", "lifecycle", "owner", "remotes")  # API.v1alpha1.mcp-server schema
    for field in required or ():
        value = spec.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(f"spec.{field} is required for kind {kind}")
    for field, value in spec.items():
        if value is None:
            continue
        if field in LIST_FIELDS and kind_l != "api" and not isinstance(value, list):
            problems.append(f"spec.{field} must be a list")
        elif field in LIST_FIELDS and isinstance(value, list) and not all(isinstance(v, str) and v for v in value):
            if field != "steps":
                problems.append(f"spec.{field} entries must be non-empty strings")
        elif field in STRING_FIELDS and not isinstance(value, str):
            problems.append(f"spec.{field} must be a string")
    if (
        kind_l == "api"
        and "definition" in spec
        and not isinstance(spec["definition"], str)
        and not is_placeholder(spec["definition"])
    ):
        problems.append("spec.definition must be a string (use $text to load it from a file)")
    if kind_l == "location" and not spec.get("target") and not spec.get("targets"):
        problems.append("spec.target or spec.targets is required for kind Location")
    return problems
