"""CatalogStore.search: exact filters plus fuzzy ranking over names, titles, descriptions and tags."""

from __future__ import annotations


def _refs(hits):
    return [e.ref for e, _ in hits]


def test_filters_only_list_matching_entities(basic_store):
    assert _refs(basic_store.search(kind="component", lifecycle="production", owner="team-checkout")) == [
        "component:default/checkout",
        "component:default/orders",
    ]
    assert _refs(basic_store.search(kind="resource", type="database", owner="group:default/team-payments")) == [
        "resource:default/payments-db"
    ]
    assert _refs(basic_store.search(tag="python")) == ["component:default/checkout", "component:default/orders"]
    assert _refs(basic_store.search(kind="api", system="commerce")) == [
        "api:default/checkout-api",
        "api:default/payments-api",
    ]
    assert basic_store.search(kind="component", owner="nobody") == []


def test_owner_filter_accepts_user_owners(basic_store):
    assert _refs(basic_store.search(owner="user:pat.kim")) == ["component:default/search-ranker"]


def test_query_exact_name_ranks_first_with_full_score(basic_store):
    hits = basic_store.search("orders-db")
    assert hits[0][0].ref == "resource:default/orders-db" and hits[0][1] == 100.0
    assert basic_store.search("Orders DB")[0][0].ref == "resource:default/orders-db"


def test_query_with_typo_and_prefix(basic_store):
    assert basic_store.search("chekout")[0][0].ref == "component:default/checkout"
    assert basic_store.search("storef")[0][0].ref == "component:default/storefront"


def test_query_matches_descriptions_and_titles(basic_store):
    assert basic_store.search("refunds")[0][0].ref in ("component:default/payments", "api:default/payments-api")
    assert basic_store.search("web shop")[0][0].ref == "component:default/storefront"
    assert basic_store.search("Commerce Platform")[0][0].ref == "system:default/commerce"


def test_query_combined_with_filters_and_limit(basic_store):
    hits = basic_store.search("payments", kind="resource")
    assert _refs(hits) == ["resource:default/payments-db"]
    assert len(basic_store.search("default", limit=2)) <= 2
    assert basic_store.search("zzzzqqq") == []


def test_suggest_for_did_you_mean(basic_store):
    assert basic_store.suggest("checkot")[0] == "component:default/checkout"
    assert basic_store.suggest("component:default/paymnts")[0] == "component:default/payments"


def test_domain_filter_means_any_system_of_the_domain(basic_store):
    assert _refs(basic_store.search(kind="resource", system="domain:retail")) == [
        "resource:default/orders-db",
        "resource:default/payments-db",
    ]
    assert _refs(basic_store.search("orders", kind="component", system="retail"))[0] == "component:default/orders"


def test_a_custom_kind_is_searchable_by_its_words(tmp_path):
    """Backstage lets a catalog define kinds (``AiResource``); "AI" finds them, while a core kind's
    name is not a search word (every component would match "component")."""
    from tools.catalog.sources import load_catalog_from

    (tmp_path / "catalog.yaml").write_text(
        """apiVersion: backstage.io/v1alpha1
kind: AiResource
metadata: {name: code-review-plugin, description: Bundles review skills}
spec: {type: plugin, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: air-quality, description: Sensor readings}
spec: {type: service, lifecycle: production, owner: team-a}
"""
    )
    store = load_catalog_from([str(tmp_path / "catalog.yaml")])
    assert _refs(store.search("AI"))[0] == "airesource:default/code-review-plugin"
    assert "component:default/air-quality" not in _refs(store.search("component"))


def test_an_owner_filter_never_means_an_entity_that_cannot_own(tmp_path):
    """Entities owned by a group no file defines, and a Location of the same name: "owner home-ops"
    is the group the entities name, not the Location."""
    from tools.catalog.sources import load_catalog_from

    (tmp_path / "catalog.yaml").write_text(
        """apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: home-ops}
spec: {targets: []}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: dbman}
spec: {type: service, lifecycle: experimental, owner: home-ops}
"""
    )
    store = load_catalog_from([str(tmp_path / "catalog.yaml")])
    assert _refs(store.search(owner="home-ops")) == ["component:default/dbman"]
