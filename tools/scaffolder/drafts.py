"""A conversation's template draft: which template, the values given so far, and the field asked.

Stored per thread so "ask for the missing ones one at a time" works across turns and across
processes: in the data dir, or in the shared database when replicas share PostgreSQL (the next
answer may come from another replica).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from contract.shared_files import SharedFiles


class Draft(BaseModel):
    template: str
    values: dict[str, Any] = Field(default_factory=dict)
    asking: str | None = None  # the field the last answer was asked for


SHARED_NAMESPACE = "scaffolder-drafts"


def _key(thread_id: str | None, principal: str) -> str:
    return hashlib.sha256(f"{thread_id or '-'}|{principal}".encode()).hexdigest()[:24]


def _shared(runtime: Any) -> SharedFiles | None:
    return getattr(runtime, "shared_files", lambda namespace: None)(SHARED_NAMESPACE)


def _path(runtime: Any, key: str) -> Path:
    return Path(runtime.data_dir) / "scaffolder" / "drafts" / f"{key}.json"


def load(runtime: Any, thread_id: str | None, principal: str) -> Draft | None:
    key = _key(thread_id, principal)
    shared = _shared(runtime)
    if shared is not None:
        text = shared.read(key)
    else:
        path = _path(runtime, key)
        text = path.read_text(encoding="utf-8") if path.is_file() else None
    if text is None:
        return None
    try:
        return Draft.model_validate_json(text)
    except ValueError:
        return None


def save(runtime: Any, thread_id: str | None, principal: str, draft: Draft) -> None:
    key, text = _key(thread_id, principal), json.dumps(draft.model_dump(), default=str)
    shared = _shared(runtime)
    if shared is not None:
        shared.put(key, text)
        return
    path = _path(runtime, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def clear(runtime: Any, thread_id: str | None, principal: str) -> None:
    key = _key(thread_id, principal)
    shared = _shared(runtime)
    if shared is not None:
        shared.remove(key)
    else:
        _path(runtime, key).unlink(missing_ok=True)
