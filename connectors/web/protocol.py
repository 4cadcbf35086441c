"""The LangGraph Agent Protocol's wire shapes: threads, thread states, SSE stream parts.

These are the shapes that ``langgraph-sdk`` and LangChain's agent-chat-ui (``useStream``) read:
``event: metadata`` first, then per requested stream mode ``values`` (the state, with
``__interrupt__`` when the graph stopped for an approval), ``updates`` (``{node: update}``),
``messages`` (``[message_chunk, metadata]``, the "messages-tuple" mode), or the older
``messages/metadata`` / ``messages/partial`` / ``messages/complete`` for mode ``messages``,
``custom`` (tool activity), and finally ``end``; errors are ``event: error``.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import BaseMessage, message_chunk_to_message

from agent.redact import redact

# State keys shown to clients. ``principal`` and ``approvals`` are internal to the graph.
PUBLIC_STATE_KEYS = ("messages",)


def jsonable(value: Any) -> Any:
    """Anything the graph emits, as plain JSON (messages via their pydantic dump)."""
    if isinstance(value, BaseMessage):
        return jsonable(value.model_dump())
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "value") and hasattr(value, "id") and type(value).__name__ == "Interrupt":
        return {"value": jsonable(value.value), "id": value.id}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if hasattr(value, "model_dump"):
        return jsonable(value.model_dump(mode="json"))
    return json.loads(json.dumps(value, default=str))


def public_values(values: dict[str, Any] | None) -> dict[str, Any]:
    values = values or {}
    return {k: jsonable(values[k]) for k in PUBLIC_STATE_KEYS if k in values}


def _encode_default(value: Any) -> Any:
    """``json.dumps``' hook for what the graph emits, giving the same JSON as :func:`jsonable`.

    Only objects json cannot write reach it (messages, interrupts, pydantic models), so plain
    data is written by the C encoder without a Python walk over every value of every event.
    """
    if isinstance(value, BaseMessage):
        return value.model_dump()
    if hasattr(value, "value") and hasattr(value, "id") and type(value).__name__ == "Interrupt":
        return {"value": value.value, "id": value.id}
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return str(value)


def dumps(data: Any) -> str:
    """``data`` (anything the graph emits) as compact JSON on one line."""
    try:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_encode_default)
    except (TypeError, ValueError):  # a dict key json cannot write, a cycle: the thorough path
        return json.dumps(jsonable(data), ensure_ascii=False, separators=(",", ":"), default=str)


def sse(event: str, data: Any) -> str:
    """One server-sent event; ``data`` (plain data or what the graph emits) is JSON on a single line."""
    return f"event: {event}\ndata: {dumps(data)}\n\n"


def interrupts_of(snapshot) -> list[dict[str, Any]]:
    out = []
    for task in getattr(snapshot, "tasks", ()) or ():
        for item in getattr(task, "interrupts", ()) or ():
            out.append({"value": jsonable(item.value), "id": item.id})
    return out


def checkpoint_of(config: dict[str, Any] | None) -> dict[str, Any] | None:
    if not config:
        return None
    conf = config.get("configurable") or {}
    return {
        "thread_id": conf.get("thread_id"),
        "checkpoint_ns": conf.get("checkpoint_ns", ""),
        "checkpoint_id": conf.get("checkpoint_id"),
        "checkpoint_map": conf.get("checkpoint_map"),
    }


def thread_state(snapshot) -> dict[str, Any]:
    """A ``ThreadState`` as ``GET /threads/{id}/state`` and ``/history`` return it."""
    tasks = []
    for task in getattr(snapshot, "tasks", ()) or ():
        tasks.append(
            {
                "id": task.id,
                "name": task.name,
                "path": list(getattr(task, "path", ()) or ()),
                "error": str(task.error) if getattr(task, "error", None) else None,
                "interrupts": [{"value": jsonable(i.value), "id": i.id} for i in task.interrupts or ()],
                "checkpoint": None,
                "state": None,
                "result": None,
            }
        )
    metadata = jsonable(dict(snapshot.metadata or {}))
    return {
        "values": public_values(snapshot.values),
        "next": list(snapshot.next or ()),
        "tasks": tasks,
        "checkpoint": checkpoint_of(snapshot.config),
        "metadata": metadata,
        "created_at": snapshot.created_at,
        "parent_checkpoint": checkpoint_of(snapshot.parent_config),
        "interrupts": interrupts_of(snapshot),
    }


def thread_status(snapshot, busy: bool) -> str:
    if busy:
        return "busy"
    if snapshot is not None and interrupts_of(snapshot):
        return "interrupted"
    return "idle"


def thread_json(record, snapshot=None, *, busy: bool = False, with_values: bool = True) -> dict[str, Any]:
    interrupts: dict[str, list] = {}
    for task in getattr(snapshot, "tasks", ()) or ():
        if task.interrupts:
            interrupts[task.id] = [{"value": jsonable(i.value), "id": i.id} for i in task.interrupts]
    return {
        "thread_id": record.thread_id,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "metadata": record.metadata,
        "status": thread_status(snapshot, busy) if snapshot is not None else ("busy" if busy else record.status),
        "config": {},
        "values": public_values(snapshot.values) if (with_values and snapshot is not None) else None,
        "interrupts": interrupts,
    }


def public_metadata(meta: dict[str, Any] | None) -> dict[str, Any]:
    """The run metadata sent next to a streamed message, without configuration internals."""
    return {k: v for k, v in (meta or {}).items() if not k.startswith("__") and k != "checkpoint_ns"}


class MetadataJSON:
    """The JSON of each model call's metadata, written once per call rather than once per token.

    LangGraph streams every token of one model call with the same metadata dict; the dict is kept
    here with its JSON so that its ``id`` cannot be reused by another dict while cached.
    """

    def __init__(self) -> None:
        self._cache: dict[int, tuple[dict[str, Any], str]] = {}

    def __call__(self, meta: dict[str, Any]) -> str:
        hit = self._cache.get(id(meta))
        if hit is not None and hit[0] is meta:
            return hit[1]
        text = dumps(public_metadata(meta))
        self._cache[id(meta)] = (meta, text)
        return text


def full_message(chunk) -> dict[str, Any]:
    """An accumulated chunk as a complete message dict (type ``ai``), for ``messages/complete``."""
    try:
        return jsonable(message_chunk_to_message(chunk))
    except Exception:
        return jsonable(chunk)


def redacted(value: Any) -> Any:
    return redact(value)
