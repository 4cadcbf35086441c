"""The SSE encoder's fast path writes the same JSON as the thorough :func:`protocol.jsonable` walk."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.types import Interrupt
from pydantic import BaseModel

from connectors.web import protocol


class Card(BaseModel):
    tool: str
    when: datetime


def thorough(value) -> str:
    return json.dumps(protocol.jsonable(value), ensure_ascii=False, separators=(",", ":"), default=str)


def test_dumps_matches_jsonable_for_what_the_graph_emits():
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    values = [
        AIMessageChunk(
            content="héllo ", id="m1", tool_call_chunks=[{"name": "t", "args": '{"a":', "id": "c", "index": 0}]
        ),
        AIMessage(
            content="done", tool_calls=[{"name": "t", "args": {"a": 1}, "id": "c1"}], additional_kwargs={"x": when}
        ),
        {"agent": {"messages": [HumanMessage(content="hi"), ToolMessage(content="ok", tool_call_id="c1")]}},
        {"__interrupt__": (Interrupt(value={"card": Card(tool="restart", when=when)}, id="i1"),)},
        {"when": when, "nested": [1, 2.5, None, True, ("a", "b")]},
    ]
    for value in values:
        assert protocol.dumps(value) == thorough(value)
    # Keys json cannot write fall back to the thorough walk instead of failing the stream.
    odd = {(1, 2): "tuple key"}
    assert json.loads(protocol.dumps(odd)) == {"(1, 2)": "tuple key"}


def test_metadata_json_is_written_once_per_dict_and_hides_internals():
    encode = protocol.MetadataJSON()
    meta = {"langgraph_node": "agent", "checkpoint_ns": "agent:1", "__pregel_task_id": "x", "thread_id": "t"}
    first = encode(meta)
    assert json.loads(first) == {"langgraph_node": "agent", "thread_id": "t"}
    assert encode(meta) is first
    other = {"langgraph_node": "tools"}
    assert json.loads(encode(other)) == {"langgraph_node": "tools"}
