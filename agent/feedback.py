"""Thumbs up and down on answers, kept with what was asked, answered and called, for evals.

Slack's feedback buttons and the web widget's both land here: one row per rating, with the
conversation, the turn's question, the answer given and the tool calls it made, read from the
checkpointed conversation (never from what the client sends, which could be anything).
``portal-agent feedback export`` turns the negative ones into draft eval cases for a person to
complete with the facts a right answer must contain.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, Field

from agent.redact import redact_text

Rating = Literal["good", "bad"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id TEXT NOT NULL,
    turn INTEGER NOT NULL,
    rating TEXT NOT NULL,
    principal TEXT NOT NULL,
    via TEXT NOT NULL,
    comment TEXT,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    tool_calls TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (thread_id, turn, principal)
);
"""


class Turn(BaseModel):
    number: int = Field(description="1 for the conversation's first question")
    question: str
    answer: str
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)


class FeedbackRow(Turn):
    thread_id: str
    rating: Rating
    principal: str
    via: str
    comment: str | None = None
    created_at: str


def turns_of(messages: list[BaseMessage]) -> list[Turn]:
    """The conversation as turns: each question, its final answer and the tools called between."""
    turns: list[Turn] = []
    for message in messages:
        if isinstance(message, HumanMessage):
            turns.append(Turn(number=len(turns) + 1, question=str(message.content), answer=""))
        elif isinstance(message, AIMessage) and turns:
            turns[-1].tool_calls.extend({"name": c["name"], "args": c["args"]} for c in message.tool_calls)
            if not message.tool_calls and message.content:
                turns[-1].answer = str(message.content)
    return turns


class FeedbackStore:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def record(
        self, thread_id: str, turn: Turn, rating: Rating, principal: str, via: str, comment: str | None = None
    ) -> None:
        """One rating per person and turn: rating again replaces it (a changed mind, a double click)."""
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT INTO feedback (thread_id, turn, rating, principal, via, comment, question, answer,"
                " tool_calls, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (thread_id, turn, principal) DO UPDATE SET rating = excluded.rating,"
                " comment = excluded.comment, created_at = excluded.created_at",
                (
                    thread_id,
                    turn.number,
                    rating,
                    principal,
                    via,
                    redact_text(comment) if comment else None,
                    redact_text(turn.question),
                    redact_text(turn.answer),
                    json.dumps(turn.tool_calls, default=str),
                    datetime.now(UTC).isoformat(),
                ),
            )

    def rows(self, rating: Rating | None = None) -> list[FeedbackRow]:
        query = "SELECT thread_id, turn, rating, principal, via, comment, question, answer, tool_calls, created_at"
        query += " FROM feedback" + (" WHERE rating = ?" if rating else "") + " ORDER BY id"
        with self._lock, self._connect() as db:
            found = db.execute(query, (rating,) if rating else ()).fetchall()
        return [
            FeedbackRow(
                thread_id=r[0],
                number=r[1],
                rating=r[2],
                principal=r[3],
                via=r[4],
                comment=r[5],
                question=r[6],
                answer=r[7],
                tool_calls=json.loads(r[8]),
                created_at=r[9],
            )
            for r in found
        ]


def feedback_store(data_dir: Path) -> FeedbackStore:
    return FeedbackStore(data_dir / "feedback.sqlite")


def draft_cases(rows: list[FeedbackRow]) -> list[dict[str, Any]]:
    """Negative feedback as eval cases for ``evals/datasets``: the question and what went wrong, with
    the facts left for a person to fill in (a draft never passes as it is: it checks nothing yet)."""
    cases = []
    for index, row in enumerate(rows, 1):
        cases.append(
            {
                "id": f"feedback-{index}",
                "question": row.question,
                "expect": {"facts": ["TODO: a fact the right answer must contain"]},
                "tags": ["from-feedback", row.via],
                "feedback": {
                    "thread": row.thread_id,
                    "turn": row.number,
                    "by": row.principal,
                    "at": row.created_at,
                    "comment": row.comment,
                    "answer_given": row.answer,
                    "tools_called": row.tool_calls,
                },
            }
        )
    return cases
