"""A docs question that leans on the one before it is searched with it.

"Is there a way to cache step results? Where's the cache kept?" is one search of the whole question
(the docs family answers a compound question whole, each part's best line quoted): searched alone,
the second part would find any cache. A follow-up turn that points back with a pronoun or names too
few terms of its own carries the previous docs question along.
"""

from __future__ import annotations

from agent.runtime import Runtime
from agent.service import AgentService
from contract.settings import Settings


def _service(tmp_path) -> AgentService:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "memoization.md").write_text(
        "# Step memoization\n\nMemoization skips a step whose inputs were seen before: set `memoize` on the "
        "template. The results are kept in a ConfigMap named by `memoize.cache.configMap.name`.\n"
    )
    (folder / "registry.md").write_text(
        "# Image cache\n\nThe build cache is kept in the image registry, under the `cache` tag.\n"
    )
    return AgentService(Runtime(Settings(data_dir=tmp_path / "data", docs=[str(folder)])))


def _queries(turn) -> list[str]:
    return [call["args"]["query"] for call in turn.tool_calls if call["name"] == "search_docs"]


def test_a_compound_docs_question_is_one_search_and_one_answer(tmp_path):
    service = _service(tmp_path)
    guest = service.principal("user:default/guest", via="test")
    question = "Is there a way to memoize step results when inputs repeat? Where's the cache kept?"
    turn = service.ask(question, guest)
    assert _queries(turn) == [question.rstrip("?")]
    assert "ConfigMap" in turn.answer and turn.answer.count("Sources:") == 1
    assert "image registry" not in turn.answer  # the cache asked about is memoization's


def test_a_follow_up_leans_on_the_previous_turn_only_when_it_points_back(tmp_path):
    service = _service(tmp_path)
    guest = service.principal("user:default/guest", via="test")
    first = service.ask("Is there a way to memoize step results when inputs repeat?", guest)
    turn = service.ask("where is it kept?", guest, thread_id=first.thread_id)
    assert "memoize step results" in _queries(turn)[0]
    turn = service.ask("Where is the image registry build cache kept?", guest, thread_id=first.thread_id)
    assert [q for q in _queries(turn) if "memoize" in q] == [], _queries(turn)
    assert "registry" in turn.answer
