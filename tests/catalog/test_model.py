"""Entity refs and the entity model, following Backstage's parseEntityRef/stringifyEntityRef."""

from __future__ import annotations

import pytest

from tools.catalog.model import (
    ANNOTATION_ONCALL,
    CompoundRef,
    Entity,
    InvalidRefError,
    normalize_ref,
    parse_ref,
    stringify_ref,
)


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("component:default/checkout", {}, ("component", "default", "checkout")),
        ("Component:Default/checkout", {}, ("component", "default", "checkout")),
        ("component:checkout", {}, ("component", "default", "checkout")),
        ("checkout", {"default_kind": "Component"}, ("component", "default", "checkout")),
        ("prod/checkout", {"default_kind": "group"}, ("group", "prod", "checkout")),
        ("team-a", {"default_kind": "group", "default_namespace": "acme"}, ("group", "acme", "team-a")),
        ("user:development/guest", {"default_kind": "group"}, ("user", "development", "guest")),
        # A slash before the colon means there is no kind: the colon belongs to the name.
        ("ns/na:me", {"default_kind": "component"}, ("component", "ns", "na:me")),
        ("  api:payments-api  ", {}, ("api", "default", "payments-api")),
    ],
)
def test_parse_ref_forms(text, kwargs, expected):
    assert parse_ref(text, **kwargs) == CompoundRef(*expected)


@pytest.mark.parametrize("text", ["", "component:", ":name", "component:/name", "ns/", "checkout"])
def test_parse_ref_rejects_empty_parts_and_missing_kind(text):
    with pytest.raises(InvalidRefError):
        parse_ref(text)


def test_missing_kind_error_says_how_to_fix():
    with pytest.raises(InvalidRefError, match="resource:orders-db"):
        parse_ref("orders-db")


def test_stringify_lowercases_kind_and_namespace_but_keeps_name():
    assert stringify_ref("Component", "Default", "MyService") == "component:default/MyService"
    assert str(parse_ref("API:Prod/Payments")) == "api:prod/Payments"
    assert normalize_ref("API:Prod/Payments") == "api:prod/payments"


def _entity(**overrides) -> Entity:
    doc = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {
            "name": "checkout",
            "title": "Checkout Service",
            "tags": ["python"],
            "annotations": {ANNOTATION_ONCALL: "user:jane"},
        },
        "spec": {"type": "service", "lifecycle": "production", "owner": "team-checkout"},
    }
    doc.update(overrides)
    return Entity.from_dict(doc, source_path="catalog-info.yaml", line=3)


def test_entity_ref_defaults_namespace_and_lowercases_kind():
    entity = _entity()
    assert entity.ref == "component:default/checkout"
    assert entity.namespace == "default"
    assert (entity.type, entity.lifecycle, entity.display_name) == ("service", "production", "Checkout Service")
    assert (entity.source_path, entity.source_line) == ("catalog-info.yaml", 3)


def test_entity_in_other_namespace_and_user_display_name():
    user = _entity(
        kind="User",
        metadata={"name": "jdoe", "namespace": "ops"},
        spec={"profile": {"displayName": "Jenny Doe", "email": "jenny@example.com"}, "memberOf": []},
    )
    assert user.ref == "user:ops/jdoe"
    assert user.display_name == "Jenny Doe"
    assert user.email == "jenny@example.com"


def test_relations_from_backstage_api_shape_are_accepted():
    entity = _entity(
        relations=[
            {"type": "ownedBy", "targetRef": "group:default/team-checkout"},
            {"type": "partOf", "target": {"kind": "system", "namespace": "default", "name": "commerce"}},
        ]
    )
    assert [(r.type, r.target_ref) for r in entity.relations] == [
        ("ownedBy", "group:default/team-checkout"),
        ("partOf", "system:default/commerce"),
    ]


def test_summary_is_compact_and_truncates_description():
    entity = _entity(metadata={"name": "x", "description": "word " * 100})
    summary = entity.summary(description_chars=40)
    assert summary["ref"] == "component:default/x"
    assert len(summary["description"]) == 40 and summary["description"].endswith("…")
    assert "title" not in summary


def test_summary_writes_reference_fields_as_full_refs():
    summary = _entity(
        spec={"type": "service", "lifecycle": "production", "owner": "user:jdoe", "system": "commerce"}
    ).summary()
    assert summary["owner"] == "user:default/jdoe" and summary["system"] == "system:default/commerce"
    assert "domain" not in summary
