"""Follow-ups naming an entity by a word of its name resolve against the refs the last answer showed."""

from __future__ import annotations

import pytest

from agent.planner.references import resolve_partial_names, shown_refs

ANSWER = (
    "team-payments (group:default/team-payments) owns 1 system: payments-platform (system:default/payments-platform); "
    "components: payments (component:default/payments), payments-gateway (component:default/payments-gateway), "
    "order-events (component:default/order-events), orders-db (resource:default/orders-db)."
)
SHOWN = shown_refs(ANSWER)


def test_shown_refs_in_order_without_repeats():
    assert shown_refs(ANSWER + " again component:default/payments") == [
        "group:default/team-payments",
        "system:default/payments-platform",
        "component:default/payments",
        "component:default/payments-gateway",
        "component:default/order-events",
        "resource:default/orders-db",
    ]


@pytest.mark.parametrize(
    ("question", "resolved"),
    [
        ("and the gateway one, who is on call?", "and component:default/payments-gateway, who is on call?"),
        ("who owns that platform one", "who owns system:default/payments-platform"),
        ("what about the orders db one?", "what about resource:default/orders-db?"),
        ("the event one", "component:default/order-events"),  # singular or plural both fit
    ],
)
def test_a_word_that_fits_one_shown_entity_becomes_its_ref(question, resolved):
    assert resolve_partial_names(question, SHOWN) == resolved


@pytest.mark.parametrize(
    "question",
    [
        "who owns the payments one?",  # four shown entities have "payments" in their name
        "and the search one?",  # none does
        "what about the other one?",
        "the first one please",
        "which one is it",
    ],
)
def test_ambiguous_unknown_or_positional_phrases_are_left_alone(question):
    assert resolve_partial_names(question, SHOWN) == question


def test_nothing_shown_means_nothing_resolved():
    assert resolve_partial_names("and the gateway one?", []) == "and the gateway one?"
