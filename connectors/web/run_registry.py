"""The runs a process is streaming or has just finished, so a client can join, wait for or cancel one.

Each run's events are kept in order in its :class:`RunRecord` as they are produced; every reader
(the stream that started the run, ``GET …/runs/{id}/stream`` joining it later, ``…/join`` waiting
for its end) follows the same log from the start, so joining late loses nothing. Finished runs
are kept for a while (the last ``KEEP_FINISHED``) for clients that reconnect. Runs are per
process: a client reconnecting to another replica finds the thread's state, not the run.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

KEEP_FINISHED = 200


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class RunRecord:
    run_id: str
    thread_id: str
    owner: str
    assistant_id: str
    metadata: dict[str, Any] = field(default_factory=dict)
    status: str = "pending"  # pending → running → success | error | interrupted
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    items: list[Any] = field(default_factory=list)
    done: bool = False
    task: asyncio.Task | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def append(self, item: Any) -> None:
        async with self._changed:
            self.items.append(item)
            self._changed.notify_all()

    async def finish(self, status: str) -> None:
        async with self._changed:
            self.status, self.done, self.updated_at = status, True, _now()
            self._changed.notify_all()

    async def follow(self) -> AsyncIterator[list[Any]]:
        """Everything the run produced, from its start, in batches of what was there at each wake-up."""
        seen = 0
        while True:
            async with self._changed:
                while seen == len(self.items) and not self.done:
                    await self._changed.wait()
                batch, seen = self.items[seen:], len(self.items)
                finished = self.done and seen == len(self.items)
            if batch:
                yield batch
            if finished:
                return

    async def wait(self) -> None:
        async with self._changed:
            while not self.done:
                await self._changed.wait()

    def json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "thread_id": self.thread_id,
            "assistant_id": self.assistant_id,
            "status": self.status,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "metadata": self.metadata,
            "multitask_strategy": "reject",
            "kwargs": {},
        }


class RunRegistry:
    def __init__(self) -> None:
        self._runs: OrderedDict[str, RunRecord] = OrderedDict()

    def add(self, record: RunRecord) -> RunRecord:
        self._runs[record.run_id] = record
        finished = [r for r in self._runs.values() if r.done]
        for old in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            self._runs.pop(old.run_id, None)
        return record

    def get(self, thread_id: str, run_id: str, owner: str) -> RunRecord | None:
        """The run, only for the owner of its thread (anyone else learns nothing, not even that it exists)."""
        record = self._runs.get(run_id)
        if record is None or record.thread_id != thread_id or record.owner != owner:
            return None
        return record

    def of_thread(self, thread_id: str, owner: str) -> list[RunRecord]:
        return [r for r in reversed(self._runs.values()) if r.thread_id == thread_id and r.owner == owner]
