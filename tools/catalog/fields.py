"""The details of an entity a question asks for by name: an annotation, a link, a spec field.

Real catalogs keep much of what people ask in free-form places: ``jira/project-key`` or
``servicenow.com/appcode`` annotations, links titled "CircleCI" or "Slack", nested spec fields
such as a pipeline's ``notify`` channel. A describe answer that only says kind, owner and
description hides those facts; this module flattens an entity into ``(path, value)`` pairs and
picks the ones whose path (or link address) shares a word with the question.
"""

from __future__ import annotations

import re
from typing import Any

from tools.catalog.mentions import STOPWORDS, wordset
from tools.catalog.model import Entity

MAX_FIELDS = 80
MAX_VALUE_CHARS = 240
MAX_ASKED = 8
# Spec keys that are shown elsewhere or are too long to quote (an API's whole definition).
SKIPPED_SPEC = frozenset({"definition", "type", "lifecycle", "owner", "system", "domain"})
# Words of a question that never pick a field: they are about asking, not about a detail.
NOT_DETAILS = STOPWORDS | wordset(
    """
    whats what's which where who whos is are does it its there any somewhere find look see get
    component service system api resource group team user entity catalog thing stuff one ones
    have has quick question pls please hey hi name names called kind type part belong belongs
    owns owner owned owning else also just really actually can could need want know lookup
    """
)
# Words a question says for a detail whose key is spelt differently.
SYNONYMS: dict[str, frozenset[str]] = {
    "ci": wordset("ci circleci buildkite jenkins travis actions workflows pipeline pipelines drone"),
    "build": wordset("build builds ci circleci buildkite jenkins pipeline"),
    "chat": wordset("slack chat teams discord"),
    "channel": wordset("channel slack"),
    "email": wordset("email mail"),
    "mail": wordset("email mail"),
    "docs": wordset("docs documentation techdocs doc"),
    "documentation": wordset("docs documentation techdocs doc"),
    "repo": wordset("repo repository github gitlab source slug"),
    "repository": wordset("repo repository github gitlab source slug"),
    "dashboard": wordset("dashboard grafana datadog"),
    "spec": wordset("spec openapi definition swagger"),
}
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
TOKEN = re.compile(r"[a-z0-9]+")


def _tokens(text: str) -> set[str]:
    return set(TOKEN.findall(CAMEL.sub(" ", text).lower()))


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool | int | float | str) and str(value).strip():
        text = " ".join(str(value).split())
        return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"
    if isinstance(value, list) and value and all(isinstance(v, bool | int | float | str) for v in value):
        return _scalar(", ".join(str(v) for v in value))
    return None


def _flatten(prefix: str, value: Any, out: list[dict[str, str]]) -> None:
    text = _scalar(value)
    if text is not None:
        out.append({"path": prefix, "value": text})
    elif isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}", inner, out)
        if not value:  # ``teams: {robots: {}}``: the key is the fact (a team with default access)
            out.append({"path": prefix, "value": "{}"})
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            _flatten(f"{prefix}[{i}]", inner, out)
        if not value:
            out.append({"path": prefix, "value": "[]"})


def entity_fields(entity: Entity) -> list[dict[str, str]]:
    """Every annotation, label, link and spec field of an entity as ``{"path", "value"}``, capped."""
    out: list[dict[str, str]] = []
    for key, value in entity.annotations.items():
        _flatten(f"annotation {key}", value, out)
    labels = entity.metadata.labels if isinstance(entity.metadata.labels, dict) else {}
    for key, value in labels.items():  # ``goVersion: go1.15.3``: what a label is for
        _flatten(f"label {key}", value, out)
    for link in entity.metadata.links:
        label = " ".join(x for x in (link.title, link.type, link.icon) if x)
        out.append({"path": f"link {label}".strip(), "value": link.url})
    for key, value in entity.spec.items():
        if key not in SKIPPED_SPEC:
            _flatten(f"spec.{key}", value, out)
        elif key == "definition" and isinstance(value, dict) and len(value) == 1:
            # A placeholder not loaded here (a URL, a missing file): where the definition is.
            ((marker, target),) = value.items()
            if str(marker).startswith("$") and isinstance(target, str):
                out.append({"path": f"spec.definition {marker[1:]}", "value": target})
    return out[:MAX_FIELDS]


def _path_tokens(path: str) -> set[str]:
    """The words of a field's path past the word saying where it is kept ("annotation", "link",
    "spec."): a link titled "API Spec" is about a spec, a ``spec.owner`` field is not."""
    return _tokens(path.partition("." if path.startswith("spec.") else " ")[2])


def covers(words: str, fields: list[dict[str, str]]) -> bool:
    """Whether one field's path holds every word of ``words`` ("access artifact-management" and
    ``spec.….teams.artifact-management.access_level``): the words name that field."""
    wanted = _tokens(words)  # one word alone ("version") may well be about another entity
    return len(wanted) >= 2 and any(wanted <= _path_tokens(f["path"]) for f in fields)


def detail_words(question: str, entity_names: list[str]) -> set[str]:
    """The words of a question that may name a detail: not ask words, not the entity's own name."""
    named = set().union(*(_tokens(n) for n in entity_names)) if entity_names else set()
    words = {w for w in TOKEN.findall(question.lower()) if w not in NOT_DETAILS and w not in named}
    words = {w for w in words if len(w) >= 3 or w in SYNONYMS}
    expanded = set(words)
    for word in words:
        expanded |= SYNONYMS.get(word, frozenset())
    return expanded


def asked_fields(question: str, fields: list[dict[str, str]], entity_names: list[str]) -> list[dict[str, str]]:
    """The fields whose path, or link address, shares a word with the question, best first."""
    words = detail_words(question, entity_names)
    if not words:
        return []
    scored: list[tuple[int, int, dict[str, str]]] = []
    for i, field in enumerate(fields):
        keys = _path_tokens(field["path"])
        if field["path"].startswith("link"):
            keys |= _tokens(field["value"].split("//", 1)[-1].split("/", 1)[0])  # the link's host
        hits = len(words & keys)
        if hits:
            scored.append((hits, -i, field))
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    chosen = [field for _, _, field in scored[:MAX_ASKED]]
    return chosen + _siblings(chosen, fields, MAX_ASKED - len(chosen))


def _spec_keys(path: str) -> list[str]:
    return path.split(".") if path.startswith("spec.") else []


def _siblings(chosen: list[dict[str, str]], fields: list[dict[str, str]], room: int) -> list[dict[str, str]]:
    """The other entries of the mapping that two or more chosen fields are entries of.

    "Which teams have access to the pipeline?" matches the teams given an ``access_level``
    (``spec.….teams.artifact-management.access_level``) but not the ones listed with default
    access (``teams: {robots: {}}``); leaving those out would answer with part of the list.
    """
    keyed = [_spec_keys(f["path"]) for f in chosen]
    if room <= 0 or len(chosen) < 2 or any(len(keys) < 4 for keys in keyed):
        return []
    # entries with the same inner key (``x.access_level``, ``y.access_level``) sit one level deeper
    same_leaf = len({keys[-1] for keys in keyed}) == 1
    parents = {tuple(keys[:-2] if same_leaf else keys[:-1]) for keys in keyed}
    if len(parents) != 1:
        return []
    (parent,) = parents
    depth = len(parent)
    extra = [
        f
        for f in fields
        if f not in chosen
        and tuple(_spec_keys(f["path"])[:depth]) == parent
        and len(_spec_keys(f["path"])) in (depth + 1, depth + 2)
    ]
    return extra[:room]


def render_asked(fields: list[dict[str, str]]) -> str:
    """``From its catalog entry: annotation jira/project-key = DSDK; link CircleCI = https://…``."""
    return "From its catalog entry: " + "; ".join(f"{f['path']} = {f['value']}" for f in fields) + "."
