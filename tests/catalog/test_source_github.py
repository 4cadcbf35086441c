"""GitHub discovery through PyGithub against a local GitHub (Enterprise) REST stand-in."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from contract.settings import Settings
from tests.catalog.standins import StandIn, github_handler
from tools.catalog.sources import load_catalog_from
from tools.catalog.sources.github import discover

TOKEN = "ghp_test_token_value"


def _component(name: str, owner: str = "team-a", extra: str = "") -> str:
    return (
        f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n"
        f"spec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n{extra}"
    )


REPOS = {
    "acme/shop": {
        "files": {
            "catalog-info.yaml": _component("shop", extra="  providesApis: [shop-api]\n")
            + (
                "---\napiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: shop-more\n"
                "spec:\n  targets: [./catalog/api.yaml, ./catalog/missing.yaml]\n"
            ),
            "catalog/api.yaml": "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: shop-api\n"
            "spec:\n  type: openapi\n  lifecycle: production\n  owner: team-a\n"
            "  definition: 'openapi: 3.0.0'\n",
        }
    },
    "acme/billing": {"files": {"catalog-info.yaml": _component("billing", extra="  consumesApis: [shop-api]\n")}},
    "acme/no-catalog": {"files": {"README.md": "# nothing here"}},
    "acme/old": {"archived": True, "files": {"catalog-info.yaml": _component("old")}},
    "acme/broken": {
        "files": {
            "catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\nspec: [\n"
        }
    },
    "pat/tools": {"files": {"catalog-info.yaml": _component("pat-tools", owner="user:pat")}},
}


@pytest.fixture()
def github():
    with StandIn(github_handler(REPOS, users={"pat"}, token=TOKEN)) as server:
        yield server


def test_discovery_of_an_org_a_user_and_a_single_repo(github):
    result = discover(["acme", "pat/tools"], base_url=f"{github.url}/api/v3", token=TOKEN)
    names = sorted(e.name for e in result.entities)
    # archived repo skipped; repo without catalog-info.yaml silently ignored; Location followed.
    assert names == ["billing", "pat-tools", "shop", "shop-api", "shop-more"]
    shop = next(e for e in result.entities if e.name == "shop")
    assert shop.source_path == "https://ghe.example.test/acme/shop/blob/main/catalog-info.yaml"
    assert shop.source_line == 1
    assert shop.annotations["github.com/project-slug"] == "acme/shop"
    assert shop.annotations["backstage.io/managed-by-location"] == f"url:{shop.source_path}"
    reasons = [e.reason for e in result.errors]
    assert any("catalog/missing.yaml' does not exist" in r for r in reasons)
    assert any("invalid YAML" in r for r in reasons)
    # The requests PyGithub made: org lookup, paginated repo listing (Link header), contents.
    paths = [r.path for r in github.requests]
    assert "/api/v3/orgs/acme" in paths
    assert sum(p == "/api/v3/orgs/acme/repos" for p in paths) == 3  # 5 repos, 2 per page
    assert "/api/v3/repos/acme/shop/contents/catalog/api.yaml" in paths
    assert "/api/v3/repos/acme/old/contents/catalog-info.yaml" not in paths
    assert all(TOKEN in r.headers.get("authorization", "") for r in github.requests)


def test_user_owner_falls_back_from_orgs_to_users(github):
    result = discover(["pat"], base_url=f"{github.url}/api/v3", token=TOKEN)
    assert [e.name for e in result.entities] == ["pat-tools"]
    paths = [r.path for r in github.requests]
    assert paths[:2] == ["/api/v3/orgs/pat", "/api/v3/users/pat"]


def test_unknown_owner_and_bad_token_are_clear_errors(github):
    unknown = discover(["nobody", "acme/ghost"], base_url=f"{github.url}/api/v3", token=TOKEN)
    assert unknown.entities == []
    assert [e.reason for e in unknown.errors] == [
        "GitHub has no organisation, user or repository 'nobody' (404)",
        "GitHub has no organisation, user or repository 'acme/ghost' (404)",
    ]
    bad = discover(["acme/shop"], base_url=f"{github.url}/api/v3", token="wrong")
    assert bad.errors[0].reason.startswith("GitHub refused the token for acme/shop (401)")
    assert "wrong" not in bad.errors[0].reason.replace("wrong token", "")


def test_store_combines_github_discovery_with_relations(github):
    from tools.catalog.sources import catalog_sources  # noqa: F401 - the runtime path uses it

    # Through the settings, as the runtime does.
    settings = Settings(
        github_discovery=["acme/shop", "acme/billing"], github_url=f"{github.url}/api/v3", github_token=SecretStr(TOKEN)
    )
    store = load_catalog_from([], settings, github=True)
    assert store.related("api:shop-api", "apiConsumedBy") == ["component:default/billing"]
    assert store.related("api:shop-api", "apiProvidedBy") == ["component:default/shop"]
