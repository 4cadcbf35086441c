"""Feedback ratings in the shared database, and those an older version kept in ``feedback.sqlite``."""

from __future__ import annotations

import sqlite3

from agent.feedback import FeedbackStore, Turn, feedback_store
from tests.support.agent import make_runtime

LEGACY = """CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, thread_id TEXT NOT NULL, turn INTEGER NOT
NULL, rating TEXT NOT NULL, principal TEXT NOT NULL, via TEXT NOT NULL, comment TEXT, question TEXT NOT NULL, answer
TEXT NOT NULL, tool_calls TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (thread_id, turn, principal))"""


def test_ratings_an_older_version_kept_are_moved_into_the_shared_database_once(tmp_path):
    legacy = tmp_path / "feedback.sqlite"
    with sqlite3.connect(legacy) as old:
        old.execute(LEGACY)
        old.execute(
            "INSERT INTO feedback (thread_id, turn, rating, principal, via, comment, question, answer, tool_calls,"
            " created_at) VALUES ('t0', 1, 'bad', 'user:default/wendy', 'web', NULL, 'q', 'a', '[]',"
            " '2026-01-01T00:00:00+00:00')"
        )
    runtime = make_runtime(tmp_path)
    store = feedback_store(runtime)
    assert [(r.thread_id, r.rating) for r in store.rows()] == [("t0", "bad")]
    assert not legacy.exists() and (tmp_path / "feedback.sqlite.migrated").exists()
    store.record("t1", Turn(number=1, question="q2", answer="a2"), "good", "user:default/olga", "slack")
    again = FeedbackStore(tmp_path / "portal-agent.db")  # another process on this host, the same file
    assert [r.thread_id for r in again.rows()] == ["t0", "t1"]
    assert again.adopt_legacy_file(legacy) == 0
