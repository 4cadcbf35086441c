"""Backstage's field rules: names, namespaces, kinds, apiVersions, tags and required spec fields."""

from __future__ import annotations

import pytest

from tools.catalog.rules import check_entity, is_valid_api_version, is_valid_name, is_valid_tag


@pytest.mark.parametrize("name", ["a", "checkout", "orders-db", "Jane.Doe", "a_b", "x" * 63, "a--b", "9lives"])
def test_valid_names(name):
    assert is_valid_name(name)


@pytest.mark.parametrize("name", ["", "-a", "a-", "a b", "x" * 64, "a/b", "ä", ".a", 7])
def test_invalid_names(name):
    assert not is_valid_name(name)


def test_api_versions_and_tags():
    assert is_valid_api_version("backstage.io/v1alpha1")
    assert is_valid_api_version("scaffolder.backstage.io/v1beta3")
    assert is_valid_api_version("v1")
    assert not is_valid_api_version("backstage.io/v1/x")
    assert not is_valid_api_version("Backstage.io/v1")
    assert is_valid_tag("c++") and is_valid_tag("k8s:prod") and is_valid_tag("web-app")
    assert not is_valid_tag("Java") and not is_valid_tag("two words") and not is_valid_tag("-x")


def _doc(kind="Component", spec=None, **meta):
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": kind,
        "metadata": {"name": "x", **meta},
        "spec": spec if spec is not None else {},
    }


@pytest.mark.parametrize(
    ("kind", "spec", "missing"),
    [
        ("Component", {"type": "service", "lifecycle": "production"}, ["owner"]),
        ("API", {"type": "openapi", "lifecycle": "production", "owner": "t"}, ["definition"]),
        ("Resource", {"owner": "t"}, ["type"]),
        ("System", {}, ["owner"]),
        ("Domain", {}, ["owner"]),
        ("Group", {"type": "team"}, ["children"]),
        ("User", {}, ["memberOf"]),
    ],
)
def test_required_spec_fields_per_kind(kind, spec, missing):
    problems = check_entity(_doc(kind, spec))
    assert problems == [f"spec.{field} is required for kind {kind}" for field in missing]


def test_mcp_server_api_needs_remotes_not_definition():
    spec = {"type": "mcp-server", "lifecycle": "experimental", "owner": "t"}
    assert check_entity(_doc("API", spec)) == ["spec.remotes is required for kind API"]
    assert check_entity(_doc("API", {**spec, "remotes": [{"type": "sse", "url": "http://x"}]})) == []


def test_unknown_kinds_only_need_a_valid_envelope():
    assert check_entity(_doc("AiResource", {"anything": 1})) == []
    assert check_entity({"apiVersion": "x/v1", "kind": "Thing", "metadata": {"name": "ok"}}) == []


def test_field_types_and_metadata():
    problems = check_entity(
        _doc(
            "Component",
            {"type": "service", "lifecycle": "production", "owner": "t", "dependsOn": "component:y", "system": ["a"]},
            tags=["Bad Tag"],
            labels={"team": "a b"},
            annotations={"k": 3},
        )
    )
    assert "spec.dependsOn must be a list" in problems
    assert "spec.system must be a string" in problems
    assert any("metadata.tags entry 'Bad Tag'" in p for p in problems)
    assert any("metadata.labels.team value 'a b'" in p for p in problems)
    assert "metadata.annotations.k must be a string" in problems


def test_envelope_problems():
    assert check_entity({"apiVersion": "backstage.io/v1alpha1", "kind": "Component"}) == [
        "metadata is missing or not a mapping"
    ]
    problems = check_entity({"apiVersion": 3, "kind": "1x", "metadata": {"namespace": "Bad_NS"}})
    assert len(problems) == 4  # apiVersion, kind, missing name, namespace
