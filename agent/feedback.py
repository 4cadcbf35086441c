"""Thumbs up and down on answers, kept with what was asked, answered and called, for evals.

Slack's feedback buttons and the web widget's both land here: one row per rating, with the
conversation, the turn's question, the answer given and the tool calls it made, read from the
checkpointed conversation (never from what the client sends, which could be anything). The rows
live in the deployment's shared database (:mod:`agent.storage.database`: PostgreSQL for replicas,
else the data directory's SQLite file), so a rating given on any replica is exported once.
``portal-agent feedback export`` turns the negative ones into draft eval cases for a person to
complete with the facts a right answer must contain.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, Field

from agent.redact import redact_text
from agent.storage.database import Database, SqliteDatabase, database

if TYPE_CHECKING:
    from agent.runtime import Runtime

log = logging.getLogger(__name__)

Rating = Literal["good", "bad"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
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
    PRIMARY KEY (thread_id, turn, principal)
);
"""
COLUMNS = "thread_id, turn, rating, principal, via, comment, question, answer, tool_calls, created_at"


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
    def __init__(self, db: Database | Path):
        """``db``: the shared database, or the path of a SQLite file."""
        self.db = db if isinstance(db, Database) else SqliteDatabase(Path(db))
        self.db.migrate(SCHEMA)

    def record(
        self, thread_id: str, turn: Turn, rating: Rating, principal: str, via: str, comment: str | None = None
    ) -> None:
        """One rating per person and turn: rating again replaces it (a changed mind, a double click)."""
        self.db.execute(
            f"INSERT INTO feedback ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
        query = f"SELECT {COLUMNS} FROM feedback" + (" WHERE rating = ?" if rating else "")
        found = self.db.execute(query + " ORDER BY created_at, thread_id, turn", (rating,) if rating else ()).fetchall()
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

    def adopt_legacy_file(self, path: Path) -> int:
        """Ratings an older version kept in ``feedback.sqlite``: copied in once, the file renamed after."""
        if not path.exists():
            return 0
        with sqlite3.connect(path) as old:
            rows = old.execute(f"SELECT {COLUMNS} FROM feedback").fetchall()
        for row in rows:
            self.db.execute(
                f"INSERT INTO feedback ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", row
            )
        path.rename(path.with_name(path.name + ".migrated"))
        log.info("moved %d feedback rating(s) from %s into the shared database", len(rows), path)
        return len(rows)


def feedback_store(runtime: Runtime) -> FeedbackStore:
    """The process's feedback store, in the deployment's shared database."""

    def build() -> FeedbackStore:
        store = FeedbackStore(database(runtime))
        store.adopt_legacy_file(runtime.data_dir / "feedback.sqlite")
        return store

    return runtime.service("feedback.store", build)


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
