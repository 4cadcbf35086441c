"""The catalog tools through PortalTool.run: compact results with refs, clear failures."""

from __future__ import annotations

import json

import pytest

from contract.principal import Principal
from contract.tooling import ToolContext


@pytest.fixture()
def run(basic_runtime, jane):
    ctx = ToolContext(runtime=basic_runtime, principal=jane)

    def _run(name: str, **args):
        return basic_runtime.tools[name].run(args, ctx)

    return _run


def test_family_exposes_eight_read_only_tools_with_described_args(basic_runtime):
    tools = basic_runtime.tools
    assert sorted(tools) == sorted(
        [
            "catalog_get_entity",
            "catalog_search",
            "catalog_owner",
            "catalog_dependencies",
            "catalog_apis",
            "catalog_system_contents",
            "catalog_owned_by",
            "catalog_group_hierarchy",
        ]
    )
    for tool in tools.values():
        assert not tool.mutating and tool.family == "catalog" and len(tool.description) > 80
        schema = tool.model_schema()["function"]
        assert all(prop.get("description") for prop in schema["parameters"]["properties"].values())


def test_get_entity(run):
    result = run("catalog_get_entity", ref="checkout")
    assert result.ok and result.refs[0] == "component:default/checkout"
    data = result.data
    assert data["owner_ref"] == "group:default/team-checkout"
    assert data["relations"]["providesApi"] == ["api:default/checkout-api"]
    assert data["annotations"]["pagerduty.com/service-id"] == "PCHK001"
    assert [p["ref"] for p in data["oncall"]] == ["user:default/jane.doe", "user:default/omar.haddad"]
    assert result.source.endswith("commerce.yaml:19")
    assert result.query == {"tool": "catalog_get_entity", "ref": "checkout"}
    assert len(result.to_text()) < 2000


def test_get_entity_typo_is_resolved_with_a_note_and_unknown_fails_with_suggestions(run):
    typo = run("catalog_get_entity", ref="chekout")
    assert typo.ok and typo.refs[0] == "component:default/checkout" and "closest match" in typo.note
    missing = run("catalog_get_entity", ref="component:default/paymnts")
    assert not missing.ok
    assert "Did you mean: component:default/payments" in missing.error
    assert missing.data["suggestions"][0] == "component:default/payments"


def test_api_entity_includes_definition_summary(run):
    data = run("catalog_get_entity", ref="api:checkout-api").data
    assert data["definition"]["title"] == "Checkout API"
    assert data["definition"]["operations"] == ["POST /orders"]


def test_search_tool(run):
    result = run("catalog_search", kind="component", lifecycle="production", owner="team-checkout")
    assert result.refs == ["component:default/checkout", "component:default/orders"]
    assert result.data["count"] == 2 and result.data["results"][0]["score"] == 100.0
    nothing = run("catalog_search", owner="team-nobody")
    assert nothing.ok and nothing.data["count"] == 0 and "no group or user named 'team-nobody'" in nothing.note
    bad = run("catalog_search", limit=0)
    assert not bad.ok and "invalid arguments" in bad.error


def test_a_long_listing_counts_its_results_by_owner(run):
    """ "Which team owns the most components?" is a count over the listing, not a guess from it."""
    result = run("catalog_search", kind="component", limit=100)
    expected = {}
    for row in result.data["results"]:
        if row.get("owner"):
            expected[row["owner"]] = expected.get(row["owner"], 0) + 1
    assert result.data["by_owner"] == expected and len(expected) > 1
    assert list(result.data["by_owner"].values()) == sorted(expected.values(), reverse=True)
    assert "by_owner" not in run("catalog_search", kind="component", owner="team-checkout").data  # two results


def test_owner_tool(run):
    result = run("catalog_owner", ref="orders db")
    data = result.data
    assert data["entity"]["ref"] == "resource:default/orders-db"
    assert data["owner"]["ref"] == "group:default/team-checkout"
    assert data["owner"]["email"] == "checkout@example.test"
    assert {m["ref"] for m in data["owner"]["members"]} == {"user:default/jane.doe", "user:default/omar.haddad"}
    assert [p["ref"] for p in data["oncall"]] == ["user:default/jane.doe", "user:default/omar.haddad"]
    assert data["oncall_source"] == "group:default/team-checkout"
    assert {"type": "email", "value": "checkout@example.test"} in data["contacts"]
    assert set(result.refs) >= {"resource:default/orders-db", "group:default/team-checkout", "user:default/jane.doe"}


def test_owner_tool_component_override_and_user_owner(run):
    data = run("catalog_owner", ref="payments").data
    assert [p["ref"] for p in data["oncall"]] == ["user:default/omar.haddad"]
    assert data["oncall_source"] == "component:default/payments"
    ranker = run("catalog_owner", ref="search-ranker").data
    assert ranker["owner"]["ref"] == "user:default/pat.kim" and ranker["owner"]["kind"] == "User"


def test_dependencies_tool_both_directions(run):
    deps = run("catalog_dependencies", ref="checkout")
    assert deps.data["count"] == 3
    payments = next(i for i in deps.data["items"] if i["ref"] == "component:default/payments")
    assert payments["via"] == ["consumesApi", "apiProvidedBy"] and payments["owner"] == "group:default/team-payments"
    blast = run("catalog_dependencies", ref="orders-db", direction="dependents", transitive=True)
    assert {i["ref"] for i in blast.data["items"]} == {
        "component:default/checkout",
        "component:default/orders",
        "component:default/storefront",
    }
    assert blast.refs[0] == "resource:default/orders-db"
    none = run("catalog_dependencies", ref="storefront", direction="dependents")
    assert none.ok and none.data["count"] == 0 and "no recorded dependents" in none.note


def test_apis_tool_for_component_api_and_wrong_kind(run):
    component = run("catalog_apis", ref="checkout").data
    assert component["provides"] == [
        {
            "ref": "api:default/checkout-api",
            "consumers": ["component:default/storefront"],
            "type": "openapi",
            "lifecycle": "production",
        }
    ]
    assert component["consumes"] == [
        {"ref": "api:default/payments-api", "providers": ["component:default/payments"], "type": "grpc"}
    ]
    api = run("catalog_apis", ref="payments-api").data
    assert api["providers"] == ["component:default/payments"] and api["consumers"] == ["component:default/checkout"]
    assert api["definition"]["rpcs"] == ["Charge"]
    wrong = run("catalog_apis", ref="orders-db")
    assert not wrong.ok and "is a Resource" in wrong.error


def test_system_contents_tool(run):
    system = run("catalog_system_contents", ref="commerce")
    contents = system.data["contents"]
    assert [c["ref"] for c in contents["component"]] == [
        "component:default/checkout",
        "component:default/orders",
        "component:default/payments",
        "component:default/storefront",
    ]
    assert len(contents["api"]) == 2 and len(contents["resource"]) == 2
    assert system.data["part_of"] == ["domain:default/retail"]
    domain = run("catalog_system_contents", ref="domain:retail").data
    assert [c["ref"] for c in domain["contents"]["system"]] == ["system:default/commerce"]


def test_owned_by_tool_for_group_user_and_children(run):
    team = run("catalog_owned_by", ref="payments team").data
    assert team["owner"] == "group:default/team-payments"
    assert {r["ref"] for items in team["owned"].values() for r in items} == {
        "component:default/payments",
        "api:default/payments-api",
        "resource:default/payments-db",
    }
    pat = run("catalog_owned_by", ref="pat.kim").data
    owned = {r["ref"]: r.get("via") for items in pat["owned"].values() for r in items}
    assert owned == {
        "component:default/search-ranker": None,
        "component:default/search": "group:default/platform",
        "component:default/indexer": "group:default/platform",
    }
    eng = run("catalog_owned_by", ref="engineering", include_children=True).data
    assert eng["count"] == 12  # 7 of team-checkout, 3 of team-payments, 2 of platform
    wrong = run("catalog_owned_by", ref="component:checkout")
    assert not wrong.ok and "use catalog_owner" in wrong.error


def test_group_hierarchy_tool(run):
    group = run("catalog_group_hierarchy", ref="team-checkout").data
    assert group["parents"] == ["group:default/engineering"] and group["children"] == []
    assert {m["email"] for m in group["members"]} == {"jane.doe@example.test", "Omar.Haddad@example.test"}
    eng = run("catalog_group_hierarchy", ref="engineering").data
    assert eng["member_count"] == 0 and eng["all_members_count"] == 4 and len(eng["children"]) == 3
    user = run("catalog_group_hierarchy", ref="omar.haddad").data
    assert user["groups"] == ["group:default/team-checkout", "group:default/platform"]
    assert user["ancestors"] == ["group:default/engineering"]


def test_outputs_are_json_and_small(run):
    for name, args in [
        ("catalog_get_entity", {"ref": "checkout"}),
        ("catalog_owner", {"ref": "checkout"}),
        ("catalog_system_contents", {"ref": "commerce"}),
        ("catalog_search", {"query": "pay"}),
    ]:
        text = run(name, **args).to_text()
        assert json.loads(text)["ok"] is True and len(text) < 4000


def test_long_lists_are_capped_with_a_note(tmp_path):
    from tests.support.catalog import catalog_runtime

    docs = [
        "apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: {name: shared-db}\n"
        "spec: {type: database, owner: team-a, system: big}\n",
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: big}\nspec: {owner: team-a}\n",
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team-a}\nspec: {type: team, children: []}\n",
    ]
    docs += [
        f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: svc-{i:02d}}}\n"
        f"spec: {{type: service, lifecycle: production, owner: team-a, system: big, "
        f"dependsOn: ['resource:shared-db']}}\n"
        for i in range(60)
    ]
    (tmp_path / "big.yaml").write_text("---\n".join(docs))
    runtime = catalog_runtime(tmp_path)
    ctx = ToolContext(runtime=runtime, principal=Principal(ref="user:default/x", via="test"))
    deps = runtime.tools["catalog_dependencies"].run({"ref": "shared-db", "direction": "dependents"}, ctx)
    assert deps.data["count"] == 60 and len(deps.data["items"]) == 40 and "showing 40 of 60" in deps.note
    contents = runtime.tools["catalog_system_contents"].run({"ref": "big"}, ctx)
    assert contents.data["count"] == 61 and len(contents.data["contents"]["component"]) == 40
    assert "component: showing 40 of 60" in contents.note
    owned = runtime.tools["catalog_owned_by"].run({"ref": "team-a"}, ctx)
    assert owned.data["count"] == 62 and "component: showing 40 of 60" in owned.note
