"""Parameters: JSON Schema pages, defaults, enums, required (one at a time), ui hints kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.scaffolder import parameters as params
from tools.scaffolder.model import Template, TemplateError

DOC = {
    "apiVersion": "scaffolder.backstage.io/v1beta3",
    "kind": "Template",
    "metadata": {"name": "t"},
    "spec": {
        "parameters": [
            {
                "title": "One",
                "required": ["name", "owner"],
                "properties": {
                    "name": {"type": "string", "title": "Name", "pattern": "^[a-z-]+$", "ui:autofocus": True},
                    "owner": {"type": "string", "ui:field": "OwnerPicker", "ui:options": {"allowedKinds": ["Group"]}},
                    "size": {"type": "string", "enum": ["s", "m", "l"], "default": "m"},
                    "replicas": {"type": "integer", "minimum": 1, "default": 2},
                },
            },
            {
                "title": "Two",
                "required": ["repoUrl"],
                "properties": {
                    "repoUrl": {"type": "string", "ui:field": "RepoUrlPicker"},
                    "public": {"type": "boolean"},
                },
            },
        ],
        "steps": [],
    },
}


def template() -> Template:
    return Template.from_document(DOC, Path("."), "t.yaml")


def test_fields_follow_form_order_and_keep_ui_hints():
    fields = params.fields(template())
    assert [f.name for f in fields] == ["name", "owner", "size", "replicas", "repoUrl", "public"]
    assert [f.page for f in fields] == [0, 0, 0, 0, 1, 1]
    owner = fields[1].describe()
    assert owner["ui"] == {"ui:field": "OwnerPicker", "ui:options": {"allowedKinds": ["Group"]}}
    assert fields[2].describe()["enum"] == ["s", "m", "l"]


def test_defaults_are_applied_and_missing_listed_in_order():
    result = params.validate(template(), {"owner": "group:default/a"})
    assert result.values["size"] == "m" and result.values["replicas"] == 2
    assert result.missing == ["name", "repoUrl"]
    assert not result.ok


def test_enum_pattern_and_type_errors_name_the_field_and_page():
    result = params.validate(
        template(),
        {"name": "Bad Name", "owner": "x", "size": "xl", "replicas": 0, "repoUrl": "github.com?owner=o&repo=r"},
    )
    text = " ".join(result.errors)
    assert "name:" in text and "does not match" in text
    assert "size:" in text and "is not one of" in text
    assert "replicas:" in text and "minimum" in text
    assert "page 'One'" in text


def test_valid_values_pass():
    result = params.validate(template(), {"name": "ok-name", "owner": "x", "repoUrl": "github.com?owner=o&repo=r"})
    assert result.ok, result.errors


def test_chat_answers_are_coerced_to_the_field_type():
    t = template()
    assert params.coerce(params.field_named(t, "replicas"), "3") == 3
    assert params.coerce(params.field_named(t, "public"), "yes") is True
    assert params.coerce(params.field_named(t, "size"), "L") == "l"


def test_questions_mention_options_and_pickers():
    t = template()
    assert "`s`, `m`, `l`" in params.question(params.field_named(t, "size"))
    assert "host?owner=" in params.question(params.field_named(t, "repoUrl"))


def test_single_schema_parameters_are_one_page():
    doc = {**DOC, "spec": {"parameters": {"required": ["a"], "properties": {"a": {"type": "string"}}}, "steps": []}}
    assert [f.name for f in params.fields(Template.from_document(doc, Path("."), "x"))] == ["a"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"apiVersion": "backstage.io/v1alpha1"}, "apiVersion must be"),
        ({"kind": "Component"}, "kind must be 'Template'"),
        ({"metadata": {}}, "metadata.name is required"),
        ({"spec": {"steps": [{"id": "a"}]}}, r"spec.steps\[0\] must have an 'action'"),
        ({"spec": {"steps": [{"id": "a", "action": "x"}, {"id": "a", "action": "y"}]}}, "duplicate step id"),
    ],
)
def test_bad_templates_name_file_and_field(change, message):
    with pytest.raises(TemplateError, match=message) as info:
        Template.from_document({**DOC, **change}, Path("."), "bad.yaml")
    assert "bad.yaml" in str(info.value)
