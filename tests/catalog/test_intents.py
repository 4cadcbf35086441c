"""Offline-planner intents, run through a small plan loop against the real catalog tools."""

from __future__ import annotations

import json
import re

import pytest

from contract.intents import PlanState
from contract.principal import Principal
from tests.catalog.planloop import run_intent

INTENTS = [
    "catalog.owner",
    "catalog.oncall",
    "catalog.dependencies",
    "catalog.dependents",
    "catalog.apis",
    "catalog.system_contents",
    "catalog.owned_by",
    "catalog.describe",
    "catalog.find",
    "catalog.group",
]


REF_RE = re.compile(r"\b[a-z]+:[a-z0-9-]+/[\w.\-]*[\w]")


def _results_refs(state) -> set[str]:
    """Every entity ref that appears anywhere in this turn's tool calls and results."""
    return set(REF_RE.findall(json.dumps([[s.args, s.result] for s in state.results])))


def _ask(runtime, intent, text, principal=None, focus=None):
    answer, state = run_intent(runtime, intent, text, principal=principal, focus=focus)
    assert answer is not None, f"{intent} did not accept {text!r}"
    # Answers come from this turn's tool results only: every ref named was returned by a tool.
    named = set(REF_RE.findall(answer.text))
    assert named <= _results_refs(state), named - _results_refs(state)
    assert set(answer.refs) <= _results_refs(state)
    return answer, state


def test_intents_are_registered_with_examples_patterns_and_tools(basic_runtime):
    intents = {i.name: i for i in basic_runtime.intents}
    assert sorted(intents) == sorted(INTENTS)
    for intent in intents.values():
        assert len(intent.examples) >= 8 and len(set(intent.examples)) == len(intent.examples)
        assert intent.patterns and all(t in basic_runtime.tools for t in intent.requires)
        hits = sum(intent.pattern_hit(e) for e in intent.examples)
        assert hits >= len(intent.examples) // 2, (intent.name, hits)


@pytest.mark.parametrize(
    ("intent", "text"),
    [
        ("catalog.owner", "who owns checkout?"),
        ("catalog.oncall", "who is on call for payments"),
        ("catalog.dependents", "what breaks if orders-db goes down?"),
        ("catalog.apis", "who consumes the payments api?"),
        ("catalog.owned_by", "what does team payments own?"),
        ("catalog.group", "who is in team checkout?"),
        ("catalog.find", "list all production services"),
        ("catalog.describe", "what is checkout?"),
    ],
)
def test_pattern_hits_for_canonical_asks(basic_runtime, intent, text):
    intents = {i.name: i for i in basic_runtime.intents}
    assert intents[intent].pattern_hit(text)


def test_owner_with_typo(basic_runtime):
    answer, state = _ask(basic_runtime, "catalog.owner", "who owns chekout?")
    assert answer.text.startswith(
        "checkout (component:default/checkout) is owned by Checkout Team (group:default/team-checkout)"
    )
    assert "On call now: Jane Doe (user:default/jane.doe" in answer.text
    assert [s.name for s in state.results] == ["catalog_owner"]
    assert answer.refs[:2] == ["component:default/checkout", "group:default/team-checkout"]


def test_owner_of_several_entities(basic_runtime):
    answer, state = _ask(basic_runtime, "catalog.owner", "who owns orders db and payments?")
    assert [s.args["ref"] for s in state.results] == ["resource:default/orders-db", "component:default/payments"]
    assert "group:default/team-checkout" in answer.text and "group:default/team-payments" in answer.text


def test_unmentioned_entity_is_searched_first_then_best_hit_used(basic_runtime):
    answer, state = _ask(basic_runtime, "catalog.owner", "who owns the customer-facing web shop?")
    assert [s.name for s in state.results] == ["catalog_search", "catalog_owner"]
    assert state.results[0].args["query"] == "customer-facing web shop"
    assert answer.text.startswith(
        "(Best catalog match for 'customer-facing web shop'.) storefront (component:default/storefront) is owned by"
    )


def test_nothing_matched_says_so_without_inventing(basic_runtime):
    answer, state = _ask(basic_runtime, "catalog.owner", "who owns the flux capacitor?")
    assert answer.text.startswith("Nothing in the catalog matched 'flux capacitor'")
    assert [s.name for s in state.results] == ["catalog_search"]


def test_oncall_followup_uses_focus(basic_runtime):
    answer, _ = _ask(
        basic_runtime, "catalog.oncall", "and who is on call for it?", focus=["component:default/checkout"]
    )
    assert answer.text == (
        "On call for checkout (component:default/checkout): Jane Doe (user:default/jane.doe, "
        "jane.doe@example.test) is primary, then Omar Haddad (user:default/omar.haddad, "
        "Omar.Haddad@example.test) (from the rota of its owner Checkout Team (group:default/team-checkout))."
    )


def test_oncall_without_rota_points_to_owner(basic_runtime):
    answer, _ = _ask(basic_runtime, "catalog.oncall", "who is on call for search?")
    assert answer.text.startswith("No on-call is recorded for search (component:default/search) or its owner")


def test_dependencies_and_dependents(basic_runtime):
    deps, _ = _ask(basic_runtime, "catalog.dependencies", "what does checkout depend on?")
    assert "orders-db (resource:default/orders-db)" in deps.text
    assert "payments (component:default/payments) via payments-api" in deps.text
    blast, state = _ask(basic_runtime, "catalog.dependents", "what breaks if orders db goes down?")
    assert state.results[0].args == {"ref": "resource:default/orders-db", "direction": "dependents", "transitive": True}
    assert blast.text.startswith("If orders-db (resource:default/orders-db) goes down, 3 entities may be affected")
    assert "indirectly storefront (component:default/storefront) via checkout → checkout-api" in blast.text


def test_dependents_of_a_leaf(basic_runtime):
    answer, _ = _ask(basic_runtime, "catalog.dependents", "what breaks if storefront goes down?")
    assert answer.text.startswith("Nothing in the catalog depends on storefront (component:default/storefront)")


def test_apis_of_component_and_consumers_of_api(basic_runtime):
    component, _ = _ask(basic_runtime, "catalog.apis", "which APIs does checkout provide?")
    assert "provides checkout-api (api:default/checkout-api) (consumed by storefront" in component.text
    api, _ = _ask(basic_runtime, "catalog.apis", "who consumes the payments api?")
    assert api.text.startswith(
        "payments-api (api:default/payments-api) is a grpc API (production), provided by "
        "payments (component:default/payments) and consumed by checkout"
    )


def test_system_and_domain_contents(basic_runtime):
    system, _ = _ask(basic_runtime, "catalog.system_contents", "what's in the commerce system?")
    assert "contains 4 components:" in system.text and "2 APIs:" in system.text and "2 resources:" in system.text
    domain, _ = _ask(basic_runtime, "catalog.system_contents", "which systems are in the retail domain")
    assert "contains 1 system: commerce (system:default/commerce)" in domain.text


def test_owned_by_team_and_me(basic_runtime, jane):
    team, _ = _ask(basic_runtime, "catalog.owned_by", "what does the payments team own?")
    assert team.text.startswith("team-payments (group:default/team-payments) owns 1 component: payments")
    mine, state = _ask(basic_runtime, "catalog.owned_by", "what do I own?", principal=jane)
    assert state.results[0].args["ref"] == "user:default/jane.doe"
    assert "through team-checkout (group:default/team-checkout)" in mine.text
    assert "checkout (component:default/checkout) [via team-checkout]" in mine.text


def test_owned_by_followup_on_a_component_means_its_owner(basic_runtime):
    answer, state = _ask(
        basic_runtime, "catalog.owned_by", "what else do they own?", focus=["component:default/payments"]
    )
    assert state.results[0].args["ref"] == "group:default/team-payments"
    assert "payments-db (resource:default/payments-db)" in answer.text


def test_anonymous_me_is_not_resolved(basic_runtime):
    anonymous = Principal.anonymous()
    answer, _ = run_intent(basic_runtime, "catalog.owned_by", "what do I own?", principal=anonymous)
    assert answer is None or "user:default/anonymous" not in answer.text


def test_describe(basic_runtime):
    answer, _ = _ask(basic_runtime, "catalog.describe", "tell me about the Checkout Service")
    assert answer.text.startswith(
        "checkout (component:default/checkout) — “Checkout Service” is a production "
        "service component owned by team-checkout (group:default/team-checkout)"
    )
    assert "Tags: python, critical." in answer.text
    user, _ = _ask(basic_runtime, "catalog.describe", "what is jane doe's email")
    assert "Jane Doe (user:default/jane.doe)" in user.text and "jane.doe@example.test" in user.text


def test_find_with_filters(basic_runtime, jane):
    answer, state = _ask(basic_runtime, "catalog.find", "find python services owned by the checkout team")
    assert state.results[0].args == {
        "kind": "component",
        "type": "service",
        "tag": "python",
        "owner": "group:default/team-checkout",
        "limit": 25,
    }
    assert answer.text.startswith("Found 2 services tagged python owned by team-checkout")
    deprecated, _ = _ask(basic_runtime, "catalog.find", "which services are deprecated?")
    assert deprecated.text.startswith("Found 1 match (deprecated services): indexer (component:default/indexer)")
    ours, state = _ask(basic_runtime, "catalog.find", "show me our services", principal=jane)
    assert state.results[0].args["owner"] == "group:default/team-checkout"
    assert ours.text.startswith("Found 2 services owned by team-checkout (group:default/team-checkout)")
    none, _ = _ask(basic_runtime, "catalog.find", "list all grpc apis owned by platform")
    assert none.text.startswith("I found no grpc APIs owned by platform")


def test_group_members_and_user_groups(basic_runtime, jane):
    team, _ = _ask(basic_runtime, "catalog.group", "who is in the checkout team?")
    assert "It has 2 direct members: Jane Doe (user:default/jane.doe" in team.text
    mine, _ = _ask(basic_runtime, "catalog.group", "which groups am I in", principal=jane)
    assert mine.text.startswith(
        "Jane Doe (user:default/jane.doe, jane.doe@example.test) is a member of "
        "team-checkout (group:default/team-checkout); above them: engineering"
    )


def test_extract_returns_none_without_anything_to_work_on(basic_runtime, jane):
    intents = {i.name: i for i in basic_runtime.intents}
    for name, text in [
        ("catalog.owner", "who owns?"),
        ("catalog.find", "hello there"),
        ("catalog.dependents", "what breaks if it goes down?"),
    ]:
        state = PlanState(utterance=text, principal=jane, runtime=basic_runtime)
        assert intents[name].extract(state) is None, name


def test_plan_works_when_router_did_not_fill_slots(basic_runtime, jane):
    intents = {i.name: i for i in basic_runtime.intents}
    state = PlanState(utterance="who owns orders?", principal=jane, runtime=basic_runtime)
    step = intents["catalog.owner"].plan(state)
    assert step.calls[0].name == "catalog_owner" and step.calls[0].args == {"ref": "component:default/orders"}


def test_my_team_means_the_askers_groups(basic_runtime):
    omar = Principal(ref="user:default/omar.haddad", via="test")
    answer, state = _ask(basic_runtime, "catalog.owned_by", "what does my team own?", principal=omar)
    assert [s.args["ref"] for s in state.results] == ["group:default/team-checkout", "group:default/platform"]
    assert "platform (group:default/platform) owns 2 components" in answer.text
    group, _ = _ask(basic_runtime, "catalog.group", "who else is in my team", principal=omar)
    assert group.text.startswith("Checkout Team (group:default/team-checkout) is a team within engineering")


def test_articles_in_answers(basic_runtime):
    api, _ = _ask(basic_runtime, "catalog.apis", "tell me about the checkout api consumers")
    assert "is an openapi API" in api.text


def test_dependency_answers_narrow_to_the_kind_asked_for(basic_runtime):
    answer, _ = _ask(basic_runtime, "catalog.dependencies", "which databases does checkout use?")
    assert answer.text.startswith(
        "checkout (component:default/checkout) depends on orders-db (resource:default/orders-db)."
    )
    assert "(Only databases shown: 1 of 3 listed.)" in answer.text
    services, _ = _ask(basic_runtime, "catalog.dependents", "which services break if orders-db goes down?")
    assert "resource:" not in services.text.split("goes down")[1]
