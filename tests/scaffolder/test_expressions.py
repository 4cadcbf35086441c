"""``${{ }}`` semantics as Backstage's NunjucksWorkflowRunner and SecureTemplater define them."""

from __future__ import annotations

import pytest

from tools.scaffolder.expressions import (
    TemplateRenderError,
    is_single_expression,
    js_string,
    render_string,
    render_value,
    truthy,
)
from tools.scaffolder.filters import TemplateValueError, parse_entity_ref, parse_repo_url, pick, project_slug

CTX = {
    "parameters": {
        "count": 3,
        "flag": False,
        "ratio": 1.5,
        "topics": ["a", "b"],
        "name": "invoice-api",
        "owner": "group:default/team-billing",
        "repoUrl": "github.com?owner=tessera&repo=invoice-api",
        "nested": {"k": [1, {"x": "y"}]},
    },
    "steps": {"publish": {"output": {"remoteUrl": "https://github.com/tessera/invoice-api"}}},
    "each": {"key": "0", "value": "first"},
    "user": {"ref": "user:default/karim.nasser", "entity": {"metadata": {"name": "karim.nasser"}}},
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${{ parameters.count }}", 3),
        ("${{ parameters.flag }}", False),
        ("${{ parameters.ratio }}", 1.5),
        ("${{ parameters.topics }}", ["a", "b"]),
        ("${{ parameters.nested }}", {"k": [1, {"x": "y"}]}),
        ("${{ parameters.count + 1 }}", 4),
        ("${{ parameters.topics | length }}", 2),
        ("${{ steps['publish'].output.remoteUrl }}", "https://github.com/tessera/invoice-api"),
        ("${{ steps.publish.output.remoteUrl }}", "https://github.com/tessera/invoice-api"),
        ("${{ each.value }}", "first"),
        ("${{ user.entity.metadata.name }}", "karim.nasser"),
        ("${{ parameters.flag !== true }}", True),
        ("${{ parameters.count === 3 }}", True),
        ("${{ parameters.missing if parameters.missing else parameters.name }}", "invoice-api"),
    ],
)
def test_whole_value_expressions_keep_their_type(source, expected):
    assert render_value({"v": source}, CTX)["v"] == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("count=${{ parameters.count }}", "count=3"),
        ("topics: ${{ parameters.topics }}", "topics: a,b"),  # JavaScript's Array#toString
        ("flag ${{ parameters.flag }}", "flag false"),
        ("${{ parameters.count }}\n", "3\n"),  # trailing text makes it a string template
        ("  ${{ parameters.count }}  ", "  3  "),  # as in Nunjucks: three nodes, so not a single expression
        ("${{ parameters.name }}-${{ parameters.count }}", "invoice-api-3"),
        ("obj ${{ parameters.nested }}", "obj [object Object]"),
    ],
)
def test_mixed_strings_render_like_javascript(source, expected):
    assert render_value({"v": source}, CTX)["v"] == expected


def test_undefined_whole_value_removes_the_key_and_chains_silently():
    out = render_value(
        {
            "a": "${{ steps.missing.output.remoteUrl }}",
            "b": "x${{ parameters.nope.deeper }}y",
            "c": "",
            "d": ["${{ parameters.nope }}", 1],
        },
        CTX,
    )
    assert "a" not in out and "c" not in out
    assert out["b"] == "xy"
    assert out["d"] == [None, 1]


def test_non_strings_and_plain_strings_pass_through():
    value = {"n": 1, "b": True, "s": "plain", "l": [{"deep": "${{ parameters.count }}"}]}
    assert render_value(value, CTX) == {"n": 1, "b": True, "s": "plain", "l": [{"deep": 3}]}


def test_dump_and_blocks_work_in_files():
    text = "{% if parameters.count > 2 %}many{% else %}few{% endif %} ${{ parameters.topics | dump }}\n"
    assert render_string(text, CTX) == 'many ["a","b"]\n'
    assert render_string("${{ parameters.nested | dump(2) }}", CTX).startswith('{\n  "k": [')
    assert render_string("{% for t in parameters.topics %}[${{ t }}]{% endfor %}", CTX) == "[a][b]"


def test_plain_double_braces_are_not_expressions():
    assert render_string("echo {{ not.a.var }} ${{ parameters.count }}", CTX) == "echo {{ not.a.var }} 3"


def test_single_expression_detection():
    assert is_single_expression("${{ a }}")
    assert not is_single_expression("x ${{ a }}")
    assert not is_single_expression("${{ a }}${{ b }}")
    assert not is_single_expression("no expression")


def test_syntax_errors_name_where():
    with pytest.raises(TemplateRenderError, match=r"steps\.x.*syntax"):
        render_string("${{ parameters.( }}", CTX, where="steps.x")


def test_sandbox_blocks_python_internals():
    with pytest.raises(TemplateRenderError):
        render_string("${{ parameters.__class__.__mro__[1].__subclasses__() }}", CTX)


def test_js_string_and_truthiness():
    assert [js_string(v) for v in (None, True, 2.0, 2.5, [1, [2, 3]], {"a": 1})] == [
        "",
        "true",
        "2",
        "2.5",
        "1,2,3",
        "[object Object]",
    ]
    assert [truthy(v) for v in (False, None, "", 0, [], {}, "false", "x", [0])] == [
        False,
        False,
        False,
        False,
        False,
        True,
        True,
        True,
        True,
    ]


def test_filters_parse_repo_urls():
    assert parse_repo_url("github.com?owner=tessera&repo=invoice-api") == {
        "host": "github.com",
        "owner": "tessera",
        "repo": "invoice-api",
    }
    assert parse_repo_url("dev.azure.com?organization=o&project=p&repo=r")["project"] == "p"
    assert project_slug("github.com?owner=tessera&repo=invoice-api") == "tessera/invoice-api"
    with pytest.raises(TemplateValueError, match="missing repo"):
        parse_repo_url("github.com?owner=tessera")
    with pytest.raises(TemplateValueError, match="missing owner"):
        parse_repo_url("github.com?repo=x")


def test_filters_parse_entity_refs_and_pick():
    assert parse_entity_ref("group:default/team-billing") == {
        "kind": "group",
        "namespace": "default",
        "name": "team-billing",
    }
    assert parse_entity_ref("team-billing", {"defaultKind": "group", "defaultNamespace": "acme"}) == {
        "kind": "group",
        "namespace": "acme",
        "name": "team-billing",
    }
    with pytest.raises(TemplateValueError, match="missing or empty kind"):
        parse_entity_ref("team-billing")
    assert pick({"a": {"b": [5, 6]}}, "a.b.1") == 6
    assert pick({"a": 1}, "missing") is None


def test_filters_inside_expressions():
    source = {
        "owner": "${{ parameters.repoUrl | parseRepoUrl | pick('owner') }}",
        "repo": "${{ (parameters.repoUrl | parseRepoUrl).repo }}",
        "slug": "${{ parameters.repoUrl | projectSlug }}",
        "kind": "${{ (parameters.owner | parseEntityRef).kind }}",
        "team": "${{ (parameters.name | parseEntityRef({'defaultKind': 'group'})).name }}",
    }
    assert render_value(source, CTX) == {
        "owner": "tessera",
        "repo": "invoice-api",
        "slug": "tessera/invoice-api",
        "kind": "group",
        "team": "invoice-api",
    }


def test_filter_errors_are_reported():
    with pytest.raises(TemplateRenderError, match="missing repo"):
        render_string("${{ 'github.com?owner=x' | parseRepoUrl }}", CTX)


def test_undefined_concatenates_like_javascript():
    # an upstream template adds two undefined values with "/"; Nunjucks renders "undefined/undefined"
    assert render_string('${{ values.d.owner + "/" + values.d.repo }}', {"values": {}}) == "undefined/undefined"


def test_attribute_lookup_is_javascript_like():
    ctx = {"parameters": {"items": ["x"], "keys": "k", "name": "abc"}}
    assert render_value("${{ parameters.items }}", ctx) == ["x"]
    assert render_value("${{ parameters.keys }}", ctx) == "k"
    assert render_value("${{ parameters.items.length }}", ctx) == 1
    assert render_value("${{ parameters.name.length }}", ctx) == 3
