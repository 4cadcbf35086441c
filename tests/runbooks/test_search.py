"""Fuzzy search over the demo runbooks: by title, alert, symptom and the entity they apply to."""

from __future__ import annotations

import pytest

from agent.runtime import Runtime
from contract.settings import Settings
from tests.support.runbooks import DEMO_RUNBOOKS
from tools.runbooks import loader
from tools.runbooks.library import applies_to
from tools.runbooks.loader import library_for, load_library


@pytest.fixture(scope="module")
def library():
    return load_library([DEMO_RUNBOOKS])


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    return Runtime(Settings(data_dir=tmp_path_factory.mktemp("rt"), demo=True)).catalog


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("high latency", "high-latency"),
        ("p99 slo breach", "high-latency"),
        ("KubeHpaMaxedOut", "high-latency"),
        ("CrashLoopBackOff", "crashloop"),
        ("crash looping pods", "crashloop"),
        ("OOMKilled", "oomkilled"),
        ("out of memory", "oomkilled"),
        ("exit code 137", "oomkilled"),
        ("kafka consumer lag", "kafka-consumer-lag"),
        ("consumer lagging behind", "kafka-consumer-lag"),
        ("rds failover", "database-failover"),
        ("rotate the stripe api key", "rotate-api-key"),
        ("leaked key", "rotate-api-key"),
        ("oomkiled", "oomkilled"),  # a typo
    ],
)
def test_query_finds_the_runbook(library, query, expected):
    hits = library.search(query)
    assert hits, query
    assert hits[0].runbook.name == expected, [(h.runbook.name, h.score, h.why) for h in hits]


def test_nothing_matches_unrelated_words(library):
    assert library.search("quarterly revenue forecast") == []
    assert library.search("zzzz qqqq") == []


def test_entity_ranks_the_runbooks_written_for_it(library, catalog):
    gateway = catalog.get("payments-gateway")
    assert library.search(None, gateway)[0].runbook.name == "rotate-api-key"
    orders_db = catalog.get("orders-db")
    hits = library.search(None, orders_db)
    assert [h.runbook.name for h in hits] == ["database-failover"]  # resources: only the one for them
    assert hits[0].applies == "ref"
    # With a query, a runbook for other entities ranks below one that applies.
    shipping = catalog.get("shipping")
    assert library.search("lag", shipping)[0].runbook.name == "kafka-consumer-lag"


def test_applies_to_rules(library, catalog):
    crash = library.get("crashloop")
    failover = library.get("database-failover")
    latency = library.get("high-latency")
    assert applies_to(crash, catalog.get("checkout")) == "kind"
    assert applies_to(failover, catalog.get("orders-db")) == "ref"
    assert applies_to(failover, catalog.get("cart-redis")) is None
    assert applies_to(latency, catalog.get("web-storefront")) in ("kind", "type")
    assert applies_to(failover, "orders-db") is None  # a bare name is taken as a component


def test_lookup_by_name_is_forgiving(library):
    assert library.get("crashloop").name == "crashloop"
    assert library.get("Crashloop runbook").name == "crashloop"
    assert library.get("kafka consumer lag").name == "kafka-consumer-lag"
    assert library.get("Database failover (RDS PostgreSQL Multi-AZ)").name == "database-failover"
    assert library.get("KubePodCrashLooping").name == "crashloop"  # its alert
    assert library.get("hihg-latency").name == "high-latency"
    assert library.get("deploy-a-new-service") is None


def test_library_is_loaded_once_and_reloaded_when_a_file_changes(tmp_path, monkeypatch):
    runtime = Runtime(Settings(data_dir=tmp_path, demo=True))
    assert library_for(runtime) is library_for(runtime)
    assert len(library_for(runtime)) == 6
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "one.md").write_text("# One\n\n## Meaning\nfirst\n", encoding="utf-8")
    mine = Runtime(Settings(data_dir=tmp_path / "data", runbooks=[str(folder)]))
    monkeypatch.setattr(loader, "RECHECK_SECONDS", 0.0)
    first = library_for(mine)
    assert [r.name for r in first.all()] == ["one"]
    assert library_for(mine) is first  # nothing changed: not parsed again
    (folder / "two.md").write_text("# Two\n\n## Meaning\nsecond\n", encoding="utf-8")
    assert [r.name for r in library_for(mine).all()] == ["one", "two"]


def test_configured_folders_replace_the_demo(tmp_path, upstream):
    runtime = Runtime(Settings(data_dir=tmp_path, runbooks=[str(upstream)]))
    library = library_for(runtime)
    assert library.get("crashloop") is None and library.get("KubePodCrashLooping") is not None
    both = Runtime(Settings(data_dir=tmp_path / "b", runbooks=[str(upstream)], demo=True))
    assert len(library_for(both)) == 108 + 6
