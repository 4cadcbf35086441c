"""Mapping billing tags and Kubernetes labels to catalog entities, teams and systems.

A charge belongs to the catalog entity named by the first configured entity key present
(``service``, ``app.kubernetes.io/name``, ``app`` by default), and to the team named by a team key
or, failing that, to the owner of that entity. Anything that maps to nothing is *unallocated*, with
the reason (no tag at all, or a value the catalog does not know), so it is shown, never dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

UNALLOCATED = "(unallocated)"


@dataclass(frozen=True)
class Attribution:
    entity: str  # short name of the catalog entity, or UNALLOCATED
    entity_ref: str | None
    team: str
    team_ref: str | None
    system: str
    env: str
    reason: str | None = None  # why it is unallocated
    unknown_value: str | None = None  # the tag value the catalog does not know
    env_key: str | None = None  # the tag key the environment was read from


ENV_ALIASES = {"production": "prod", "prd": "prod", "stage": "staging", "stg": "staging"}


def normal_env(value: str) -> str:
    """An environment name as the environment dimension shows it: lower-case, common aliases folded."""
    low = value.strip().lower()
    return ENV_ALIASES.get(low, low)


@lru_cache(maxsize=100_000)
def parse_tag_text(raw: str | None) -> dict[str, str]:
    """``parse_tags`` for the raw tag strings of a billing export, cached: exports repeat few tag sets."""
    return parse_tags(raw)


def parse_tags(raw: Any) -> dict[str, str]:
    """Tags as a dict with trimmed, lower-cased keys: JSON objects, or ``k=v;k2=v2`` text.

    Keys that differ only in case or stray spaces (the FOCUS sample has both ``org`` and `` org``)
    collapse into one; the first one written wins. Empty and JSON ``null`` values are no tag;
    other JSON values keep their JSON spelling (``true``, ``1234``).
    """
    if raw is None:
        return {}
    if isinstance(raw, dict):
        items = raw.items()
    else:
        text = str(raw).strip()
        if not text or text.upper() == "NULL":
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):  # [{"key":..,"value":..}]
            items = [(i.get("key"), i.get("value")) for i in value if isinstance(i, dict)]
        else:
            pairs = [p for p in text.replace(";", ",").split(",") if "=" in p or ":" in p]
            items = [p.split("=", 1) if "=" in p else p.split(":", 1) for p in pairs]
    out: dict[str, str] = {}
    for k, v in items:
        if k is None or v is None:
            continue
        value = (v if isinstance(v, str) else json.dumps(v)).strip()
        if value:
            out.setdefault(str(k).strip().lower(), value)
    return out


class TagMapper:
    def __init__(self, catalog: Any, entity_keys: list[str], team_keys: list[str], env_keys: list[str]):
        self.catalog = catalog
        self.entity_keys = [k.strip().lower() for k in entity_keys]
        self.team_keys = [k.strip().lower() for k in team_keys]
        self.env_keys = [k.strip().lower() for k in env_keys]
        self._cached = lru_cache(maxsize=100_000)(self._attribute)

    def attribute(self, raw_tags: Any) -> Attribution:
        return self._cached(raw_tags if isinstance(raw_tags, str) or raw_tags is None else json.dumps(raw_tags))

    def attribute_labels(self, labels: dict[str, str], fallback_name: str | None = None) -> Attribution:
        """For OpenCost: the allocation's labels (``app_kubernetes_io_name`` style keys accepted)."""
        normal = {k.replace("_", ".").lower(): v for k, v in labels.items()}
        normal.update({k.lower(): v for k, v in labels.items()})
        if fallback_name and not any(k in normal for k in self.entity_keys):
            normal[self.entity_keys[0] if self.entity_keys else "service"] = fallback_name
        return self._attribute(json.dumps(normal))

    def _lookup(self, name: str, kinds: tuple[str, ...]) -> Any:
        if self.catalog is None:
            return None
        for kind in kinds:
            entity = self.catalog.get(f"{kind}:default/{name}") if ":" not in name else self.catalog.get(name)
            if entity is not None:
                return entity
        return None

    def _attribute(self, raw: str | None) -> Attribution:
        tags = parse_tag_text(raw)
        env_key = next((k for k in self.env_keys if tags.get(k)), None)
        env = normal_env(tags[env_key]) if env_key else ""
        value = next((tags[k] for k in self.entity_keys if tags.get(k)), None)
        entity = self._lookup(value, ("component", "resource", "system")) if value else None
        team_value = next((tags[k] for k in self.team_keys if tags.get(k)), None)
        team_entity = self._lookup(team_value, ("group",)) if team_value else None
        team_ref = team_entity.ref if team_entity is not None else None
        if team_ref is None and entity is not None:
            team_ref = self.catalog.owner_of(entity.ref)
        system = ""
        if entity is not None:
            if entity.kind_lower == "system":
                system = entity.name
            else:
                system = str(entity.spec.get("system") or "").split("/")[-1].split(":")[-1]
        if not system and tags.get("system"):
            system = tags["system"]
        reason = None
        if entity is None:
            key = self.entity_keys[0] if self.entity_keys else "service"
            reason = f"{key} tag missing" if not value else f"{key} tag value is not in the catalog"
        return Attribution(
            entity=entity.name if entity is not None else UNALLOCATED,
            entity_ref=entity.ref if entity is not None else None,
            team=team_ref.split("/")[-1] if team_ref else UNALLOCATED,
            team_ref=team_ref,
            system=system or UNALLOCATED,
            env=env or "unknown",
            reason=reason,
            unknown_value=value if entity is None and value else None,
            env_key=env_key,
        )
