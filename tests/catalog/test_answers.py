"""Answer-text helpers: labels, articles, counts, capped lists, narrowing of dependency lists."""

from __future__ import annotations

from contract.intents import StepResult
from tools.catalog.answers import article, count, join, narrowed, ref_label, render_dependencies


def test_small_helpers():
    assert ref_label("component:default/checkout") == "checkout (component:default/checkout)"
    assert ref_label("group:default/team-a", "Team A") == "Team A (group:default/team-a)"
    assert article("openapi API") == "an openapi API" and article("service") == "a service"
    assert count(1, "system") == "1 system" and count(2, "API", "APIs") == "2 APIs"
    assert join([]) == "none" and join(list("abcd"), limit=2) == "a, b and 2 more"


def _step(items):
    data = {"entity": "component:default/x", "items": items}
    return StepResult("catalog_dependencies", {"ref": "x"}, {"ok": True, "data": data})


def test_narrowed_keeps_only_the_kind_asked_for_and_says_so():
    items = [
        {
            "ref": "resource:default/db",
            "depth": 1,
            "path": ["component:default/x", "resource:default/db"],
            "type": "database",
        },
        {
            "ref": "component:default/y",
            "depth": 1,
            "path": ["component:default/x", "component:default/y"],
            "type": "service",
        },
    ]
    render = narrowed(render_dependencies, "which databases does x use")
    assert render(_step(items)) == (
        "x (component:default/x) depends on db (resource:default/db). (Only databases shown: 1 of 2 listed.)"
    )
    assert narrowed(render_dependencies, "what does x depend on") is render_dependencies
    only_services = [items[1]]
    assert narrowed(render_dependencies, "which databases")(_step(only_services)).startswith(
        "None of them are databases. x (component:default/x) depends on y"
    )
