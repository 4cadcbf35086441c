"""Backstage Location semantics: ``type: url`` Locations with relative targets and globs read from a
file, relative placeholders, URL targets read through the GitHub integration (against the local
GitHub REST stand-in), and GitHub discovery by a catalog path glob — on small catalogs written
here and on the real catalogs in ../shared/fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from contract.settings import Settings
from tests.catalog.standins import StandIn, github_handler
from tests.support.paths import SHARED_FIXTURES as FIXTURES
from tools.catalog.loader import load_paths
from tools.catalog.sources import load_catalog_from
from tools.catalog.sources.github import discover, path_glob, reader_for

TOKEN = "ghp_locations_token"
CATALOGS_WILD = FIXTURES / "catalogs-wild"
BACKSTAGE = FIXTURES / "backstage"


def _component(name: str, extra: str = "") -> str:
    return (
        f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n"
        f"spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n{extra}"
    )


def _location(name: str, targets: list[str], kind: str = "url") -> str:
    lines = "".join(f"    - {t}\n" for t in targets)
    head = f"apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: {name}\n"
    return f"{head}spec:\n  type: {kind}\n  targets:\n{lines}"


def _write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)


def _fixture_files(root: Path) -> dict[str, str]:
    """A fixture repository's YAML and Markdown files, as a GitHub stand-in serves them."""
    if not root.is_dir():
        pytest.skip(f"{root} not found (../shared/fixtures absent)")
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix in (".yaml", ".yml", ".md", ".graphql", ".json")
    }


# --- local files ---------------------------------------------------------------------------------


def test_url_location_in_a_file_follows_relative_targets_and_globs_against_that_file(tmp_path):
    _write(
        tmp_path,
        {
            "catalog/all.yaml": _location("root", ["./org.yaml", "../utils/**/catalog-info.yaml"]),
            "catalog/org.yaml": _component("org-thing"),
            "utils/a/catalog-info.yaml": _component("util-a"),
            "utils/b/deep/catalog-info.yaml": _component("util-b"),
            "utils/b/other.yaml": _component("not-matched"),
        },
    )
    result = load_paths([tmp_path / "catalog" / "all.yaml"])
    assert sorted(e.name for e in result.entities) == ["org-thing", "root", "util-a", "util-b"]
    assert result.errors == []


def test_placeholders_resolve_against_the_entity_file_and_report_missing_ones(tmp_path):
    _write(
        tmp_path,
        {
            "apis/api.yaml": (
                "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: thing-api}\n"
                "spec:\n  type: openapi\n  lifecycle: production\n  owner: team-a\n"
                "  definition:\n    $text: ../specs/thing.yaml\n"
            ),
            "specs/thing.yaml": "openapi: 3.0.0\n",
            "apis/broken.yaml": (
                "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: broken-api}\n"
                "spec:\n  type: openapi\n  lifecycle: production\n  owner: team-a\n"
                "  definition:\n    $json: ./missing.json\n"
            ),
        },
    )
    result = load_paths([tmp_path / "apis"])
    by_name = {e.name: e for e in result.entities}
    assert by_name["thing-api"].spec["definition"] == "openapi: 3.0.0\n"
    # The entity whose placeholder is missing still loads, its field left unresolved, with a
    # warning naming the file, the field and the missing file.
    assert by_name["broken-api"].spec["definition"] == {"$json": "./missing.json"}
    (warning,) = result.errors
    assert (
        warning.severity == "warning"
        and warning.path.endswith("broken.yaml")
        and warning.ref == "api:default/broken-api"
    )
    assert "spec.definition: $json placeholder './missing.json' could not be read" in warning.reason
    assert str(tmp_path / "apis" / "missing.json") in warning.reason


def test_verseghy_url_location_now_loads_its_relative_targets():
    root = CATALOGS_WILD / "Verseghy__website_k8s" / "catalog" / "all.yaml"
    if not root.is_file():
        pytest.skip(f"{root} not found (../shared/fixtures absent)")
    result = load_paths([root])
    kinds = sorted(e.kind for e in result.entities)
    # Before, all six targets were "a URL and was not fetched" and only the Location loaded. The
    # API loads too although its $text schema is not in the repository (see below).
    assert kinds == ["API"] + ["Component"] * 3 + ["Domain", "Group", "Location"] + ["Resource"] * 3 + ["System"] * 2
    assert not any("not fetched" in e.reason for e in result.errors)
    # The one real dangling file upstream: apis.yaml's $text points at a schema not in the repo;
    # resolved against apis.yaml's own folder, as Backstage resolves it, and reported as a warning.
    assert [(e.severity, e.reason) for e in result.errors] == [
        (
            "warning",
            "API 'backend2-graphql': spec.definition: $text placeholder './backend2-schema.graphql' could not "
            f"be read (no such file: {root.parent.resolve() / 'backend2-schema.graphql'}); the entity is kept "
            "with this field not loaded",
        )
    ]


# --- GitHub ----------------------------------------------------------------------------------------


def test_path_glob_matches_like_backstage_catalog_path():
    glob = path_glob("/**/catalog-info.yaml")
    assert glob.match("catalog-info.yaml") and glob.match("a/b/catalog-info.yaml")
    assert not glob.match("a/catalog-info.yaml.bak") and not glob.match("a/other.yaml")
    assert path_glob("/services/*/catalog-info.{yaml,yml}").match("services/x/catalog-info.yml")
    assert not path_glob("/services/*/catalog-info.yaml").match("services/x/y/catalog-info.yaml")


MONOREPO = {
    "acme/mono": {
        "files": {
            "catalog-info.yaml": _component("mono-root"),
            "services/pay/catalog-info.yaml": _component("pay", "  providesApis: [pay-api]\n"),
            "services/pay/api.yaml": (
                "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: pay-api}\n"
                "spec:\n  type: openapi\n  lifecycle: production\n  owner: team-a\n"
                "  definition:\n    $text: ./openapi.yaml\n"
            ),
            "services/pay/openapi.yaml": "openapi: 3.0.0\ninfo: {title: Pay}\n",
            "services/pay/more/catalog-info.yaml": _location(
                "pay-more", ["../api.yaml", "https://github.com/acme/shared/blob/main/libs/*.yaml"]
            ),
            "docs/notes.yaml": _component("not-a-catalog-file"),
        }
    },
    "acme/shared": {"files": {"libs/one.yaml": _component("lib-one"), "libs/two.yaml": _component("lib-two")}},
}


@pytest.fixture()
def github():
    with StandIn(github_handler(MONOREPO, users=set(), token=TOKEN, web_host="github.com")) as server:
        yield server


def test_discovery_by_catalog_path_glob_reads_nested_files_targets_and_placeholders(github):
    result = discover(["acme/mono"], base_url=f"{github.url}/api/v3", token=TOKEN, catalog_path="/**/catalog-info.yaml")
    names = sorted(e.name for e in result.entities)
    # docs/notes.yaml does not match the glob; the Location's relative target and its URL glob
    # into another repository of the same server are followed.
    assert names == ["lib-one", "lib-two", "mono-root", "pay", "pay-api", "pay-more"]
    assert result.errors == []
    api = next(e for e in result.entities if e.name == "pay-api")
    assert api.spec["definition"].startswith("openapi: 3.0.0")  # relative to the API file's URL
    assert api.source_path == "https://github.com/acme/mono/blob/main/services/pay/api.yaml"
    assert api.annotations["github.com/project-slug"] == "acme/mono"
    paths = [r.path for r in github.requests]
    assert "/api/v3/repos/acme/mono/git/trees/main" in paths and "/api/v3/repos/acme/shared/git/trees/main" in paths


def test_default_catalog_path_reads_only_the_root_file(github):
    result = discover(["acme/mono"], base_url=f"{github.url}/api/v3", token=TOKEN)
    assert [e.name for e in result.entities] == ["mono-root"]


def test_settings_catalog_path_reaches_discovery(github):
    settings = Settings(
        github_discovery=["acme/mono"],
        github_url=f"{github.url}/api/v3",
        github_token=SecretStr(TOKEN),
        github_catalog_path="/services/**/catalog-info.yaml",
    )
    store = load_catalog_from([], settings, github=True)
    assert sorted(e.name for e in store.all()) == ["lib-one", "lib-two", "pay", "pay-api", "pay-more"]


def test_tyriis_absolute_url_targets_load_through_the_github_integration():
    """Its root Location lists 35 absolute github.com URLs to its own files: read through GitHub."""
    files = _fixture_files(CATALOGS_WILD / "tyriis__home-ops")
    # adguard-home's API definition is a $text URL into AdGuardHome's own repository: a stub here.
    remote_definition = "openapi: 3.0.3\ninfo: {title: stand-in for AdGuard Home's openapi.yaml}\n"
    repos = {
        "tyriis/home-ops": {"files": files},
        "AdguardTeam/AdGuardHome": {"files": {"openapi/openapi.yaml": remote_definition}},
    }
    root = CATALOGS_WILD / "tyriis__home-ops" / ".backstage" / "catalog-info.yaml"
    with StandIn(github_handler(repos, users={"tyriis"}, token=TOKEN, web_host="github.com")) as server:
        api = f"{server.url}/api/v3"
        offline = load_paths([root])
        online = load_paths([root], url_reader=reader_for(api, TOKEN, hosts=["github.com"]))
        listed = discover(["tyriis/home-ops"], base_url=api, token=TOKEN, catalog_path="/.backstage/catalog-info.yaml")
        everything = discover(["tyriis"], base_url=api, token=TOKEN, catalog_path="/**/catalog-info.yaml")
    assert [e.kind for e in offline.entities] == ["Location"]
    assert sum("not fetched" in e.reason for e in offline.errors) == 35
    # What the 35 targets hold, counted from the files they name: 26 Components, 6 Systems, 2 APIs, 1 Domain.
    for result in (online, listed):
        kinds = sorted(e.kind for e in result.entities)
        assert [kinds.count(k) for k in ("Component", "System", "API", "Domain", "Location")] == [26, 6, 2, 1, 1]
        assert result.errors == []
        adguard = next(e for e in result.entities if e.ref == "api:default/adguard-home")
        assert adguard.spec["definition"] == remote_definition
    # The glob also finds the two catalog files no Location lists (openbao, volsync): SOURCES.md's 38.
    kinds = sorted(e.kind for e in everything.entities)
    assert [kinds.count(k) for k in ("Component", "System", "API", "Domain", "Location")] == [28, 6, 2, 1, 1]


def test_backstage_remote_templates_load_from_the_software_templates_repository():
    files = _fixture_files(BACKSTAGE / "backstage__software-templates")
    root = BACKSTAGE / "backstage__backstage" / "plugins" / "scaffolder-backend" / "sample-templates"
    repos = {"backstage/software-templates": {"files": files}}
    with StandIn(github_handler(repos, users=set(), token=TOKEN, web_host="github.com")) as server:
        offline = load_paths([root / "remote-templates.yaml"])
        reader = reader_for(f"{server.url}/api/v3", TOKEN, hosts=["github.com"])
        online = load_paths([root / "remote-templates.yaml"], url_reader=reader)
    assert sum("not fetched" in e.reason for e in offline.errors) == 5
    names = sorted(e.name for e in online.entities if e.kind == "Template")
    assert names == [
        "create-react-app-template",
        "docs-template",
        "pull-request",
        "react-ssr-template",
        "springboot-template",
    ]
    assert online.errors == []


def test_urls_of_other_hosts_stay_not_fetched_with_the_integration_configured(github):
    reader = reader_for(f"{github.url}/api/v3", TOKEN)
    root = CATALOGS_WILD / "1-Platform__one-platform" / "catalog" / "doc-spa.yaml"
    if not root.is_file():
        pytest.skip(f"{root} not found (../shared/fixtures absent)")
    result = load_paths([root], url_reader=reader)
    assert [e.severity for e in result.errors] == ["warning"]
    assert "gitlab.cee.redhat.com" in result.errors[0].reason and "not fetched" in result.errors[0].reason


def test_catalogs_wild_folder_loads_every_valid_entity_including_dot_backstage_folders():
    if not CATALOGS_WILD.is_dir():
        pytest.skip(f"{CATALOGS_WILD} not found (../shared/fixtures absent)")
    result = load_paths([CATALOGS_WILD])
    kinds = [e.kind for e in result.entities]
    # SOURCES.md's document counts, less what is not a valid entity: cnoe-io's 4 Component, 3 System
    # and 1 Resource skeletons named by a template placeholder (Verseghy's API whose $text file is
    # not in the repository loads, with a warning). tyriis (28 Components in .backstage/), Zenika
    # and einride load too.
    expected = {"Component": 443 - 4, "System": 107 - 3, "API": 36, "Domain": 34, "Group": 32}
    expected |= {"Resource": 18 - 1, "Location": 14, "User": 6}
    assert {kind: kinds.count(kind) for kind in expected} == expected
    assert {"aip-go", "sensei", "home-assistant"} <= {e.name for e in result.entities}
