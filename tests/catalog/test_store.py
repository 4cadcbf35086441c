"""CatalogStore queries: lookups, owners, members, on-call, e-mail, dependency walks with cycles."""

from __future__ import annotations

from tests.support.catalog import DATA
from tools.catalog.model import Entity
from tools.catalog.sources import load_catalog_from
from tools.catalog.store import CatalogStore


def test_get_by_ref_kind_name_bare_name_and_case(basic_store):
    assert basic_store.get("component:default/checkout").name == "checkout"
    assert basic_store.get("Component:checkout").name == "checkout"
    assert basic_store.get("checkout").ref == "component:default/checkout"
    assert basic_store.get("CHECKOUT").ref == "component:default/checkout"
    # A bare name of another kind is still found ...
    assert basic_store.get("orders-db").ref == "resource:default/orders-db"
    assert basic_store.get("team-payments").ref == "group:default/team-payments"
    # ... but an explicit kind is respected.
    assert basic_store.get("api:checkout") is None
    assert basic_store.get("does-not-exist") is None
    assert basic_store.get("") is None


def test_all_and_kinds(basic_store):
    assert len(basic_store.all()) == 22
    assert sorted(e.name for e in basic_store.all("Resource")) == ["orders-db", "payments-db"]
    assert basic_store.kinds()["component"] == 7


def test_relations_and_related(basic_store):
    assert basic_store.related("checkout", "providesApi") == ["api:default/checkout-api"]
    assert basic_store.related("api:default/checkout-api", "apiConsumedBy") == ["component:default/storefront"]
    assert {r.type for r in basic_store.relations("group:team-checkout")} >= {"ownerOf", "hasMember", "childOf"}
    assert basic_store.relations("checkout", type="dependsOn")[0].target_ref == "resource:default/orders-db"


def test_owner_members_groups(basic_store):
    assert basic_store.owner_of("checkout") == "group:default/team-checkout"
    assert basic_store.owner_of("component:search-ranker") == "user:default/pat.kim"
    assert basic_store.owner_of("group:engineering") is None
    # Members come from User.memberOf and from Group.members alike.
    assert basic_store.members_of("group:default/team-payments") == ["user:default/li.wei"]
    assert sorted(basic_store.members_of("team-checkout")) == ["user:default/jane.doe", "user:default/omar.haddad"]
    assert basic_store.members_of("engineering") == []
    assert sorted(basic_store.members_of("engineering", recursive=True)) == [
        "user:default/jane.doe",
        "user:default/li.wei",
        "user:default/omar.haddad",
        "user:default/pat.kim",
    ]
    assert basic_store.groups_of("user:default/omar.haddad") == [
        "group:default/team-checkout",
        "group:default/platform",
        "group:default/engineering",
    ]
    assert basic_store.parents_of("team-checkout") == ["group:default/engineering"]


def test_oncall_component_override_then_owner_group(basic_store):
    # payments overrides its owner's rota; checkout uses team-checkout's (primary first).
    assert basic_store.oncall_of("payments") == ["user:default/omar.haddad"]
    assert basic_store.oncall_of("checkout") == ["user:default/jane.doe", "user:default/omar.haddad"]
    assert basic_store.oncall_of("payments-db") == ["user:default/li.wei"]  # bare name → user ref
    assert basic_store.oncall_of("group:team-payments") == ["user:default/li.wei"]
    assert basic_store.oncall_of("search") == []  # platform has no rota
    assert basic_store.oncall_of("search-ranker") == ["user:default/pat.kim"]  # owned by a user
    assert basic_store.oncall_of("nope") == []


def test_user_by_email_is_case_insensitive_and_lifecycle(basic_store):
    assert basic_store.user_by_email("omar.haddad@EXAMPLE.test").ref == "user:default/omar.haddad"
    assert basic_store.user_by_email("nobody@example.test") is None
    assert basic_store.lifecycle_of("indexer") == "deprecated"
    assert basic_store.lifecycle_of("orders-db") is None


def test_dependencies_direct_and_through_apis(basic_store):
    deps = {d["ref"]: d for d in basic_store.dependencies("checkout")}
    assert set(deps) == {"resource:default/orders-db", "component:default/orders", "component:default/payments"}
    assert deps["component:default/payments"]["path"] == [
        "component:default/checkout",
        "api:default/payments-api",
        "component:default/payments",
    ]
    assert deps["component:default/payments"]["via"] == ["consumesApi", "apiProvidedBy"]
    assert deps["component:default/payments"]["depth"] == 1
    only_explicit = basic_store.dependencies("checkout", include_apis=False)
    assert {d["ref"] for d in only_explicit} == {"resource:default/orders-db", "component:default/orders"}


def test_dependents_transitive_with_paths(basic_store):
    direct = basic_store.dependents("orders-db")
    assert {d["ref"] for d in direct} == {"component:default/checkout", "component:default/orders"}
    everything = {d["ref"]: d for d in basic_store.dependents("orders-db", transitive=True)}
    assert set(everything) == {"component:default/checkout", "component:default/orders", "component:default/storefront"}
    storefront = everything["component:default/storefront"]
    assert storefront["depth"] == 2
    assert storefront["path"] == [
        "resource:default/orders-db",
        "component:default/checkout",
        "api:default/checkout-api",
        "component:default/storefront",
    ]


def test_cycles_terminate_and_each_target_appears_once(basic_store):
    deps = basic_store.dependencies("search", transitive=True)
    assert [d["ref"] for d in deps] == ["component:default/indexer", "component:default/search-ranker"]
    ranker = basic_store.dependents("search-ranker", transitive=True)
    assert [d["ref"] for d in ranker] == ["component:default/indexer", "component:default/search"]
    assert basic_store.dependencies("search", transitive=True, max_depth=1) == basic_store.dependencies("search")


def test_dangling_dependency_targets_are_marked_unknown():
    broken = load_catalog_from([str(DATA / "broken")])
    deps = broken.dependencies("also-fine")
    assert deps == [
        {
            "ref": "component:default/bare-name",
            "depth": 1,
            "path": ["component:default/also-fine", "component:default/bare-name"],
            "via": ["dependsOn"],
            "known": False,
        }
    ]


def test_duplicates_are_reported_in_store_errors():
    store = load_catalog_from([str(DATA / "dupes")])
    assert len(store) == 1
    assert any("duplicate entity" in e.reason for e in store.errors)


def test_store_from_entities_directly():
    entities = [
        Entity.from_dict(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Component",
                "metadata": {"name": f"c{i}"},
                "spec": {"owner": "g", "dependsOn": [f"component:c{i + 1}"]},
            }
        )
        for i in range(30)
    ]
    store = CatalogStore(entities)
    chain = store.dependencies("c0", transitive=True, max_depth=10)
    assert len(chain) == 10 and chain[-1]["ref"] == "component:default/c10" and chain[-1]["depth"] == 10
    assert store.owned_by("g")[:2] == ["component:default/c0", "component:default/c1"]


def test_reference_problems_become_warnings_in_store_errors():
    broken = load_catalog_from([str(DATA / "broken")])
    (warning,) = [e for e in broken.errors if e.severity == "warning"]
    assert warning.ref == "component:default/also-fine" and warning.path.endswith("invalid.yaml")
    assert warning.line == 18 and "assumed component:default/bare-name" in warning.reason
