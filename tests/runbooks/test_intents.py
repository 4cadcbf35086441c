"""Slot extraction and routing for the runbook intents, without running the graph."""

from __future__ import annotations

import pytest

from agent.runtime import Runtime
from contract.intents import PlanState
from contract.principal import Principal
from contract.settings import Settings
from tools.runbooks.intents import extract_find, extract_named


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    return Runtime(Settings(data_dir=tmp_path_factory.mktemp("rt"), demo=True))


def state(runtime, text, focus=None):
    return PlanState(
        utterance=text, principal=Principal(ref="user:default/marco.bianchi"), runtime=runtime, focus=focus or []
    )


@pytest.mark.parametrize(
    ("text", "runbook", "entity"),
    [
        ("run the crashloop runbook for checkout", "crashloop", "component:default/checkout"),
        ("run the high latency runbook for search", "high-latency", "component:default/search"),
        ("please run our kafka consumer lag runbook on ledger", "kafka-consumer-lag", "component:default/ledger"),
        ("kick off the kafka-consumer-lag runbook for shipping", "kafka-consumer-lag", "component:default/shipping"),
        ("runbook: high-latency for search", "high-latency", "component:default/search"),
        ("the crashloop runbook, for checkout please — run it", "crashloop", "component:default/checkout"),
        ("follow the database-failover runbook for orders db", "database-failover", "resource:default/orders-db"),
        ("run the KubePodCrashLooping runbook for checkout", "crashloop", "component:default/checkout"),
        ("show me the rotate-api-key runbook", "rotate-api-key", None),
        ("run the crashlop runbook for checkout", "crashloop", "component:default/checkout"),  # a typo
    ],
)
def test_named_runbook_and_entity(runtime, text, runbook, entity):
    slots = extract_named(state(runtime, text))
    assert slots["runbook"] == runbook and slots["entity"] == entity


def test_unknown_names_are_kept_as_written(runtime):
    slots = extract_named(state(runtime, "run the drain-the-node runbook for orders"))
    assert slots["runbook"] is None and slots["written"] == "drain-the-node"
    assert slots["entity"] == "component:default/orders"


def test_params_and_focus(runtime):
    slots = extract_named(state(runtime, "run the kafka-consumer-lag runbook for shipping with replicas=8"))
    assert slots["params"] == {"replicas": 8}
    focus = ["component:default/search-indexer"]
    follow_up = extract_named(state(runtime, "run the oomkilled runbook for it", focus=focus))
    assert follow_up["entity"] == "component:default/search-indexer"
    assert extract_named(state(runtime, "run the oomkilled runbook"))["entity"] is None


def test_intents_need_the_word_runbook(runtime):
    assert extract_named(state(runtime, "restart checkout")) is None
    assert extract_find(state(runtime, "why is checkout crashlooping?")) is None


@pytest.mark.parametrize(
    ("text", "query", "entity"),
    [
        ("which runbook for KubePodCrashLooping?", "KubePodCrashLooping", None),
        ("what's the runbook for pods in CrashLoopBackOff", "pods CrashLoopBackOff", None),
        ("which runbooks apply to payments-gateway?", None, "component:default/payments-gateway"),
        ("is there a runbook for high latency on search", "high latency", "component:default/search"),
        ("list all runbooks", None, None),
    ],
)
def test_find_slots(runtime, text, query, entity):
    assert extract_find(state(runtime, text)) == {"query": query, "entity": entity}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("run the crashloop runbook for checkout", "runbooks.run"),
        ("execute the oomkilled runbook on search-indexer", "runbooks.run"),
        ("which runbook for KubePodCrashLooping", "runbooks.find"),
        ("is there a playbook for kafka consumer lag", "runbooks.find"),
        ("show me the database-failover runbook", "runbooks.show"),
        ("what does the high-latency runbook say", "runbooks.show"),
    ],
)
def test_routing(runtime, text, intent):
    routed = runtime.router.route(state(runtime, text))
    assert routed is not None and routed[0].name == intent
