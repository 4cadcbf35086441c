"""A docs question that leans on the one before it is searched with it.

"Is there a way to cache step results? Where's the cache kept?" is two searches; the second, alone,
finds any cache. A part (or a follow-up turn) that points back with a pronoun or names too few terms
of its own carries the previous docs question along.
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


def test_a_short_second_part_is_searched_with_the_first(tmp_path):
    service = _service(tmp_path)
    guest = service.principal("user:default/guest", via="test")
    turn = service.ask("Is there a way to memoize step results when inputs repeat? Where's the cache kept?", guest)
    queries = _queries(turn)
    assert len(queries) == 2, queries
    assert "memoize step results" in queries[1] and queries[1].startswith("Where's the cache kept")
    assert "ConfigMap" in turn.answer


def test_a_follow_up_leans_on_the_previous_turn_only_when_it_points_back(tmp_path):
    service = _service(tmp_path)
    guest = service.principal("user:default/guest", via="test")
    first = service.ask("Is there a way to memoize step results when inputs repeat?", guest)
    turn = service.ask("where is it kept?", guest, thread_id=first.thread_id)
    assert "memoize step results" in _queries(turn)[0]
    turn = service.ask("Where is the image registry build cache kept?", guest, thread_id=first.thread_id)
    assert [q for q in _queries(turn) if "memoize" in q] == [], _queries(turn)
    assert "registry" in turn.answer
