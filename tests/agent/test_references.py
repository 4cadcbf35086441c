"""Follow-ups pointing at an entity of the last answer by a word resolve to that one entity."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.planner.references import Shown, describe_shown, resolve_partial_names, shown_refs

ANSWER = (
    "team-payments (group:default/team-payments) owns 1 system: payments-platform (system:default/payments-platform); "
    "components: payments (component:default/payments), payments-gateway (component:default/payments-gateway), "
    "order-events (api:default/order-events), legacy-ledger (component:default/legacy-ledger)."
)


def shown(ref: str, other: set[str] | None = None, write_as: str | None = None) -> Shown:
    name = ref.rsplit("/", 1)[-1]
    words = {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in name.split("-")}
    return Shown(ref=ref, write_as=write_as or name, name_words=words, property_words=other or set())


SHOWN = [
    shown("group:default/team-payments"),
    shown("system:default/payments-platform"),
    shown("component:default/payments", {"production", "service"}),
    shown("component:default/payments-gateway", {"production", "service", "adyen"}),
    shown("api:default/order-events", {"production", "asyncapi", "kafka"}, write_as="api:default/order-events"),
    shown("component:default/legacy-ledger", {"deprecated", "service"}),
]


def test_shown_refs_in_order_without_repeats():
    assert shown_refs(ANSWER + " again component:default/payments") == [s.ref for s in SHOWN]


@pytest.mark.parametrize(
    ("question", "resolved"),
    [
        ("and the gateway one, who is on call?", "and payments-gateway, who is on call?"),
        ("who owns that platform one", "who owns payments-platform"),
        ("the event one", "api:default/order-events"),  # singular or plural; its ref, as its name is ambiguous
        ("who's on call for the deprecated one?", "who's on call for legacy-ledger?"),  # by lifecycle
        ("who consumes the async one?", "who consumes api:default/order-events?"),  # a word starting its type
        ("who owns the ledger?", "who owns legacy-ledger?"),  # a bare word, by name only
        ("who else is in that team?", "who else is in team-payments team?"),  # by kind: the first of it
        ("what's in that system", "what's in payments-platform system"),
        ("what would break if the kafka event one went down", "what would break if api:default/order-events went down"),
        ("who consumes teh async one?", "who consumes api:default/order-events?"),  # a common typo
        ("is the legacy thing still used?", "is legacy-ledger still used?"),
        ("what else does that team own?", "what else does team-payments team own?"),  # a verb may follow a kind
        ("who owns the leg one", "who owns legacy-ledger"),  # before "one", the start of a name
        ("is the ledger service still used", "is legacy-ledger still used"),  # name word + its type
    ],
)
def test_a_phrase_that_fits_one_shown_entity_becomes_its_name(question, resolved):
    assert resolve_partial_names(question, SHOWN) == resolved


@pytest.mark.parametrize(
    "question",
    [
        "who owns the payments one?",  # several listed entities fit
        "and the search one?",  # none does
        "what about the other one?",
        "the first one please",
        "which one is it",
        "who owns the production?",  # a single bare word matches names only
        "how about the ledger migration plan",  # the phrase goes on: not all of it is a name
        "who's behind it? someone on that team",  # "it" is the subject; "that team" is its owner
    ],
)
def test_ambiguous_unknown_or_positional_phrases_are_left_alone(question):
    assert resolve_partial_names(question, SHOWN) == question


def test_a_property_outranks_a_word_in_a_description():
    listed = [
        shown("component:default/checkout"),
        Shown("api:default/payments-api", "payments-api", {"payment", "api"}, {"grpc", "production"}),
        Shown("component:default/payments", "payments", {"payment"}, {"service"}, {"grpc"}, {"serves", "clients"}),
    ]
    assert resolve_partial_names("the grpc one - who consumes it?", listed) == "payments-api - who consumes it?"


def test_the_answers_subject_gives_way_to_what_it_listed():
    subject = shown("component:default/checkout", {"stock", "cart"})
    listed = [subject, shown("component:default/inventory", {"stock", "warehouse"})]
    assert resolve_partial_names("who's on call for the stock one?", listed) == "who's on call for inventory?"


def test_a_person_named_by_first_name_is_the_shown_user():
    people = [shown("group:default/team-search"), shown("user:default/nora.lindqvist", write_as="nora.lindqvist")]
    assert resolve_partial_names("nora's on which team again", people) == "nora.lindqvist's on which team again"
    assert resolve_partial_names("nora on which team", people) == "nora on which team"  # only "nora's"


def test_nothing_shown_means_nothing_resolved():
    assert resolve_partial_names("and the gateway one?", []) == "and the gateway one?"


def test_described_from_the_catalog(tmp_path: Path):
    from agent.runtime import Runtime
    from contract.settings import Settings

    catalog = Runtime(Settings(data_dir=tmp_path, demo=True)).catalog
    described = describe_shown(["component:default/inventory", "api:default/order-events", "x:default/none"], catalog)
    assert [d.ref for d in described] == ["component:default/inventory", "api:default/order-events"]
    inventory, events = described
    assert inventory.write_as == "inventory" and "stock" in inventory.described_words
    assert {"order", "event"} <= events.name_words and "asyncapi" in events.property_words
