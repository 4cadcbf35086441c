"""What every request body of the web API must be before a handler sees it.

Any JSON string may hold a lone UTF-16 surrogate (``"\\ud800"``): Python decodes it, but it is
not Unicode text, and SQLite, the checkpointer and the JSON response all fail on it later, far
from the request. :class:`WebBody` refuses it at the edge with a 422 naming the field, so a bad
character can never turn into a 500 or strand a thread half-way through a run.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import HTTPException, Request
from pydantic import BaseModel, ConfigDict, model_validator

# A metadata filter key becomes part of an SQLite JSON path (``$.key``): plain segments only.
FILTER_KEY = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
INT64 = (-(2**63), 2**63 - 1)


def lone_surrogate_at(value: Any) -> str | None:
    """The path (``input.messages[0].content``) of the first string holding a lone surrogate, or None.

    Iterative, so a deeply nested body cannot exhaust the stack.
    """
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if _has_surrogate(item):
                return path or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                where = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and _has_surrogate(key):
                    return f"{path}.<key>" if path else "<key>"
                stack.append((where, child))
        elif isinstance(item, list | tuple):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class WebBody(BaseModel):
    """Base of every request body: unknown fields ignored, text that is not Unicode refused."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _unicode_text_only(cls, data: Any) -> Any:
        where = lone_surrogate_at(data)
        if where is not None:
            raise ValueError(f"{where}: holds a lone UTF-16 surrogate, which is not valid Unicode text")
        return data


def check_thread_id(value: str) -> str:
    """A caller-chosen thread id: a UUID in its canonical lower-case form, as the Agent Protocol has it.

    Ids of conversations that began elsewhere (``slack:<team>:<channel>:<ts>``) can then never
    be claimed on the web before they exist, and a chosen id is as unguessable as an issued one.
    """
    try:
        parsed = uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        parsed = None
    if parsed is None or str(parsed) != value:
        raise ValueError(f"thread_id must be a UUID in canonical form (e.g. {uuid.uuid4()}), got {value!r}")
    return value


def check_metadata_filter(metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    """A checkpoint metadata filter the SQLite checkpointer can run: plain keys, int64 integers."""
    for key, value in (metadata or {}).items():
        if not FILTER_KEY.match(key):
            raise ValueError(f"metadata filter key {key!r}: use letters, digits, '_', '-' and '.' between names")
        if isinstance(value, int) and not isinstance(value, bool) and not INT64[0] <= value <= INT64[1]:
            raise ValueError(f"metadata filter {key!r}: integer out of range")
    return metadata


async def json_only(request: Request) -> None:
    """Refuse (415) a request body that is not declared as JSON.

    FastAPI reads a body with no ``Content-Type`` as JSON, and a page on any site can send one
    (a ``Blob`` body, ``mode: "no-cors"``) with the browser's cookies and no CORS preflight. Behind
    a proxy whose session cookie signs people in, that would let another site run questions and
    decisions as the visitor; a JSON content type always needs the preflight CORS answers.
    """
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    has_body = request.headers.get("content-length", "0").strip() not in ("", "0") or (
        "transfer-encoding" in request.headers
    )
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if has_body and kind != "application/json" and not kind.endswith("+json"):
        raise HTTPException(status_code=415, detail="request bodies must be JSON (Content-Type: application/json)")
