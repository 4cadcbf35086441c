"""find_mentions: entity names in free text, with typos, spacing variants, titles and team phrases."""

from __future__ import annotations

import itertools

import pytest

from tools.catalog.mentions import aliases_of
from tools.catalog.model import Entity
from tools.catalog.store import CatalogStore


def _refs(store, text, kinds=None):
    return [m.ref for m in store.find_mentions(text, kinds=kinds)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("who owns checkout?", ["component:default/checkout"]),
        ("who owns chekout?", ["component:default/checkout"]),  # one deletion
        ("who owns chekcout", ["component:default/checkout"]),  # transposition
        ("who owns checkuot", ["component:default/checkout"]),
        ("what breaks if orders db goes down", ["resource:default/orders-db"]),
        ("what breaks if Orders-DB goes down", ["resource:default/orders-db"]),
        ("what breaks if the orders database goes down", ["resource:default/orders-db"]),
        ("tell me about the Checkout Service", ["component:default/checkout"]),
        ("who is in the payments team?", ["group:default/team-payments"]),
        ("what does team payments own", ["group:default/team-payments"]),
        ("describe the commerce platform", ["system:default/commerce"]),
        ("search ranker and storefrnt", ["component:default/search-ranker", "component:default/storefront"]),
        ("who consumes the payments api", ["api:default/payments-api"]),
        ("is jane doe on call?", ["user:default/jane.doe"]),
        ("mail li.wei@example.test", ["user:default/li.wei"]),
        ("what about component:default/orders?", ["component:default/orders"]),
    ],
)
def test_mentions(basic_store, text, expected):
    assert _refs(basic_store, text) == expected


def test_mentions_carry_span_text_and_score(basic_store):
    text = "what breaks if orders db goes down"
    (mention,) = basic_store.find_mentions(text)
    assert text[mention.start : mention.end] == mention.text == "orders db"
    assert mention.score == 100.0
    (typo,) = basic_store.find_mentions("who owns chekout")
    assert 70 <= typo.score < 100


def test_longer_match_wins_and_no_overlaps(basic_store):
    mentions = basic_store.find_mentions("is the orders db down, and the payments team?")
    assert [m.ref for m in mentions] == ["resource:default/orders-db", "group:default/team-payments"]
    spans = [(m.start, m.end) for m in mentions]
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def test_kinds_filter(basic_store):
    assert _refs(basic_store, "payments", kinds=["group"]) == ["group:default/team-payments"]
    assert _refs(basic_store, "payments", kinds=["component"]) == ["component:default/payments"]
    assert _refs(basic_store, "payments") == ["component:default/payments"]
    assert _refs(basic_store, "checkout", kinds=["user"]) == []


def test_no_false_positives_on_plain_questions(basic_store):
    assert _refs(basic_store, "who is on call right now?") == []
    assert _refs(basic_store, "what does it depend on?") == []
    assert _refs(basic_store, "a checkout") == ["component:default/checkout"]
    assert basic_store.find_mentions("") == []


def test_short_names_need_an_exact_match():
    store = CatalogStore(
        [
            Entity.from_dict(
                {
                    "apiVersion": "backstage.io/v1alpha1",
                    "kind": "Component",
                    "metadata": {"name": name},
                    "spec": {"owner": "t"},
                }
            )
            for name in ("cart", "orders")
        ]
    )
    # Keys under five characters are never fuzzy-matched: one edit is too much of them.
    assert _refs(store, "who owns cort") == []
    assert _refs(store, "who owns carts") == []
    assert _refs(store, "who owns cart") == ["component:default/cart"]
    assert _refs(store, "who owns ordrs") == ["component:default/orders"]


def test_aliases_of_group_and_resource(basic_store):
    group = dict(aliases_of(basic_store.get("group:team-payments")))
    assert {"team-payments", "payments team", "team payments", "payments"} <= set(group)
    assert group["team-payments"] > group["payments team"] > group["payments"]
    resource = dict(aliases_of(basic_store.get("orders-db")))
    assert {"orders database", "orders db"} <= set(resource)
