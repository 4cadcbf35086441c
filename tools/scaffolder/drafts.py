"""A conversation's template draft: which template, the values given so far, and the field asked.

Stored per thread in the data dir so "ask for the missing ones one at a time" works across turns
(and across processes: the web and Slack connectors may answer from different replicas sharing a
data dir).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field


class Draft(BaseModel):
    template: str
    values: dict[str, Any] = Field(default_factory=dict)
    asking: str | None = None  # the field the last answer was asked for


def _path(data_dir: Path, thread_id: str | None, principal: str) -> Path:
    key = hashlib.sha256(f"{thread_id or '-'}|{principal}".encode()).hexdigest()[:24]
    return data_dir / "scaffolder" / "drafts" / f"{key}.json"


def load(data_dir: Path, thread_id: str | None, principal: str) -> Draft | None:
    path = _path(data_dir, thread_id, principal)
    if not path.is_file():
        return None
    try:
        return Draft.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def save(data_dir: Path, thread_id: str | None, principal: str, draft: Draft) -> None:
    path = _path(data_dir, thread_id, principal)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(draft.model_dump(), default=str), encoding="utf-8")


def clear(data_dir: Path, thread_id: str | None, principal: str) -> None:
    _path(data_dir, thread_id, principal).unlink(missing_ok=True)
