"""Relations are emitted in both directions with Backstage's default kinds per spec field."""

from __future__ import annotations

from tools.catalog import relations as rel
from tools.catalog.model import Entity
from tools.catalog.relations import compute_relations


def _e(kind: str, name: str, spec: dict, namespace: str = "default") -> Entity:
    return Entity.from_dict(
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": kind,
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
        }
    )


def _pairs(relations: dict, source: str) -> set[tuple[str, str]]:
    return {(r.type, r.target_ref) for r in relations.get(source, [])}


def test_component_fields_emit_both_directions_with_default_kinds():
    component = _e(
        "Component",
        "checkout",
        {
            "type": "service",
            "lifecycle": "production",
            "owner": "team-checkout",
            "system": "commerce",
            "subcomponentOf": "shop",
            "providesApis": ["checkout-api"],
            "consumesApis": ["payments-api"],
            "dependsOn": ["resource:orders-db", "component:orders"],
        },
    )
    relations, problems = compute_relations([component])
    assert problems == []
    assert _pairs(relations, "component:default/checkout") == {
        (rel.OWNED_BY, "group:default/team-checkout"),
        (rel.PART_OF, "system:default/commerce"),
        (rel.PART_OF, "component:default/shop"),
        (rel.PROVIDES_API, "api:default/checkout-api"),
        (rel.CONSUMES_API, "api:default/payments-api"),
        (rel.DEPENDS_ON, "resource:default/orders-db"),
        (rel.DEPENDS_ON, "component:default/orders"),
    }
    # The inverse relations live on the targets, even when those are not loaded.
    assert _pairs(relations, "group:default/team-checkout") == {(rel.OWNER_OF, "component:default/checkout")}
    assert _pairs(relations, "api:default/checkout-api") == {(rel.API_PROVIDED_BY, "component:default/checkout")}
    assert _pairs(relations, "api:default/payments-api") == {(rel.API_CONSUMED_BY, "component:default/checkout")}
    assert _pairs(relations, "resource:default/orders-db") == {(rel.DEPENDENCY_OF, "component:default/checkout")}
    assert _pairs(relations, "system:default/commerce") == {(rel.HAS_PART, "component:default/checkout")}
    assert _pairs(relations, "component:default/shop") == {(rel.HAS_PART, "component:default/checkout")}


def test_targets_default_to_the_source_namespace_and_explicit_kinds_win():
    component = _e(
        "Component",
        "web",
        {"owner": "user:jdoe", "consumesApis": ["component:lookup"], "system": "default/portal"},
        namespace="shop",
    )
    relations, _ = compute_relations([component])
    assert _pairs(relations, "component:shop/web") == {
        (rel.OWNED_BY, "user:shop/jdoe"),
        (rel.CONSUMES_API, "component:shop/lookup"),  # as Backstage: the explicit kind is kept
        (rel.PART_OF, "system:default/portal"),
    }


def test_system_domain_and_subdomain():
    system = _e("System", "commerce", {"owner": "team-a", "domain": "retail"})
    domain = _e("Domain", "retail", {"owner": "team-a", "subdomainOf": "business"})
    relations, _ = compute_relations([system, domain])
    assert (rel.PART_OF, "domain:default/retail") in _pairs(relations, "system:default/commerce")
    assert _pairs(relations, "domain:default/retail") >= {
        (rel.HAS_PART, "system:default/commerce"),
        (rel.PART_OF, "domain:default/business"),
        (rel.OWNED_BY, "group:default/team-a"),
    }
    assert (rel.HAS_PART, "domain:default/retail") in _pairs(relations, "domain:default/business")


def test_group_parent_children_members_and_user_member_of_are_merged_without_duplicates():
    parent = _e("Group", "eng", {"type": "department", "children": ["team-a"]})
    child = _e("Group", "team-a", {"type": "team", "parent": "eng", "children": [], "members": ["ann"]})
    user = _e("User", "ann", {"memberOf": ["team-a"]})
    relations, _ = compute_relations([parent, child, user])
    # Both sides declare the same edges; each relation appears once.
    assert sorted((r.type, r.target_ref) for r in relations["group:default/team-a"]) == [
        (rel.CHILD_OF, "group:default/eng"),
        (rel.HAS_MEMBER, "user:default/ann"),
    ]
    assert relations["group:default/eng"] == [rel.Relation(type=rel.PARENT_OF, target_ref="group:default/team-a")]
    assert relations["user:default/ann"] == [rel.Relation(type=rel.MEMBER_OF, target_ref="group:default/team-a")]


def test_resource_dependency_of_is_the_inverse_direction():
    resource = _e(
        "Resource", "orders-db", {"type": "database", "owner": "team-a", "dependencyOf": ["component:orders"]}
    )
    relations, _ = compute_relations([resource])
    assert (rel.DEPENDENCY_OF, "component:default/orders") in _pairs(relations, "resource:default/orders-db")
    assert _pairs(relations, "component:default/orders") == {(rel.DEPENDS_ON, "resource:default/orders-db")}


def test_depends_on_without_kind_is_reported_and_assumed_component():
    component = _e("Component", "a", {"owner": "t", "dependsOn": ["b"]})
    relations, problems = compute_relations([component])
    assert (rel.DEPENDS_ON, "component:default/b") in _pairs(relations, "component:default/a")
    assert len(problems) == 1 and problems[0].field == "dependsOn" and "has no kind" in problems[0].reason


def test_existing_relations_are_kept_and_merged():
    entity = Entity.from_dict(
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": "x"},
            "spec": {"owner": "team-a"},
            "relations": [
                {"type": "ownedBy", "targetRef": "group:default/team-a"},
                {"type": "customRelation", "targetRef": "component:default/y"},
            ],
        }
    )
    relations, _ = compute_relations([entity])
    assert sorted((r.type, r.target_ref) for r in relations["component:default/x"]) == [
        ("customRelation", "component:default/y"),
        (rel.OWNED_BY, "group:default/team-a"),
    ]


def test_kinds_outside_the_core_set_get_relations_from_their_common_fields():
    # Backstage's own examples ship AiResources with spec.owner and spec.system; their processor
    # emits ownedBy/partOf like the built-in kinds, so the system lists them and the team owns them.
    entity = _e("AiResource", "skill", {"owner": "team-a", "system": "s", "agents": ["copilot"]})
    relations, problems = compute_relations([entity])
    assert sorted((r.type, r.target_ref) for r in relations["airesource:default/skill"]) == [
        (rel.OWNED_BY, "group:default/team-a"),
        (rel.PART_OF, "system:default/s"),
    ]
    assert [(r.type, r.target_ref) for r in relations["system:default/s"]] == [
        (rel.HAS_PART, "airesource:default/skill")
    ]
    assert problems == []
    # A Location's spec has no such fields; nothing is guessed for it.
    location = _e("Location", "where", {"owner": "team-a", "targets": ["./a.yaml"]})
    assert compute_relations([location])[0].get("location:default/where", []) == []


def test_a_field_spelt_with_other_capitals_is_read_and_flagged():
    # Real catalogs write spec.subComponentOf; Backstage reads only spec.subcomponentOf.
    parent = _e("Component", "kit", {"owner": "team-a"})
    child = _e("Component", "module", {"owner": "team-a", "subComponentOf": "kit"})
    relations, problems = compute_relations([parent, child])
    assert (rel.HAS_PART, "component:default/module") in [
        (r.type, r.target_ref) for r in relations["component:default/kit"]
    ]
    assert [p.reason for p in problems] == [
        "spec.subComponentOf read as spec.subcomponentOf (Backstage reads only that spelling and ignores this one)"
    ]
