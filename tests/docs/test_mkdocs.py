"""mkdocs.yml and page sources read as mkdocs reads them: tags, docs_dir, exclusions, README, includes.

Small cases in tmp dirs pin each rule; the real sites in ``../shared/fixtures/docs-sites`` (skipped when
absent) show the rules hold on configs nobody here wrote.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.paths import REPO
from tools.docs.includes import directory_finder, expand_snippets, render_macro_includes
from tools.docs.indexer import read_page
from tools.docs.mkdocs_config import MkDocsOptions, Relative, load_mkdocs_config
from tools.docs.sources import site_for_path

SITES = REPO / ".." / "shared" / "fixtures" / "docs-sites"
ARGO = SITES / "argoproj__argo-workflows"
ESO = SITES / "external-secrets__external-secrets"


def _page_text(site, path: str) -> str:
    ref = next(p for p in site.pages if p.path == path)
    raw, problem = read_page(site, ref)
    assert problem is None, problem
    return raw.decode("utf-8")


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


# --- mkdocs.yml tags ------------------------------------------------------------------------------
def test_env_tag_takes_the_first_set_variable_else_the_default():
    text = (
        "site_name: !ENV SITE\n"
        "site_url: !ENV [CANONICAL, FALLBACK, 'https://default.example/']\n"
        "strict: !ENV [STRICT, false]\n"
        "missing: !ENV NOPE\n"
    )
    unset = load_mkdocs_config(text, "mkdocs.yml", env={})
    assert unset == {"site_name": None, "site_url": "https://default.example/", "strict": False, "missing": None}
    some = load_mkdocs_config(text, "mkdocs.yml", env={"SITE": "Docs", "FALLBACK": "https://b/", "STRICT": "true"})
    assert some["site_name"] == "Docs" and some["site_url"] == "https://b/" and some["strict"] is True
    both = load_mkdocs_config(text, "mkdocs.yml", env={"CANONICAL": "https://a/", "FALLBACK": "https://b/"})
    assert both["site_url"] == "https://a/"


def test_python_and_relative_tags_load_without_importing_anything():
    text = (
        "markdown_extensions:\n"
        "  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "  - pymdownx.snippets:\n      base_path: !relative $config_dir\n"
    )
    config = load_mkdocs_config(text, "mkdocs.yml", env={})
    assert config["markdown_extensions"][0]["pymdownx.emoji"]["emoji_index"] == "material.extensions.emoji.twemoji"
    assert config["markdown_extensions"][1]["pymdownx.snippets"]["base_path"] == Relative("$config_dir")
    assert MkDocsOptions.from_config(config).snippets.base_paths == ["$config_dir"]


def test_invalid_yaml_names_file_and_line():
    with pytest.raises(ValueError, match=r"site/mkdocs.yml: line 2 invalid YAML"):
        load_mkdocs_config("site_name: x\nnav: a: b\n", "site/mkdocs.yml")


@pytest.mark.skipif(not ARGO.is_dir(), reason=f"real fixture absent: {ARGO}")
def test_argo_workflows_mkdocs_yml_loads_as_mkdocs_loads_it():
    text = (ARGO / "mkdocs.yml").read_text()
    config = load_mkdocs_config(text, "mkdocs.yml", env={})
    assert config["site_url"] == "https://argo-workflows.readthedocs.io/en/latest/"
    rtd = load_mkdocs_config(text, "mkdocs.yml", env={"READTHEDOCS_CANONICAL_URL": "https://x.example/"})
    assert rtd["site_url"] == "https://x.example/"
    fences = next(e for e in config["markdown_extensions"] if isinstance(e, dict) and "pymdownx.superfences" in e)
    assert fences["pymdownx.superfences"]["custom_fences"][0]["format"] == "pymdownx.superfences.fence_code_format"


# --- which pages exist ---------------------------------------------------------------------------
def test_docs_dir_outside_the_config_folder(tmp_path):
    _write(
        tmp_path,
        {
            "hack/site/mkdocs.yml": "site_name: Far\ndocs_dir: ../../docs\nnav:\n  - Start: index.md\n",
            "docs/index.md": "# Home\n\nhello\n",
            "docs/guide.md": "# Guide\n\ntext\n",
        },
    )
    site = site_for_path(str(tmp_path / "hack" / "site" / "mkdocs.yml"))
    assert Path(site.location) == (tmp_path / "docs").resolve()
    assert [(p.path, p.nav_title) for p in site.pages] == [("index.md", "Start"), ("guide.md", None)]
    assert _page_text(site, "guide.md").startswith("# Guide")


def test_exclude_docs_defaults_and_readme_as_index(tmp_path):
    _write(
        tmp_path,
        {
            "mkdocs.yml": "site_name: X\nexclude_docs: |\n  /private.md\n  drafts/\ndraft_docs: wip-*.md\n",
            "docs/README.md": "# Home\n\nroot readme is the home page\n",
            "docs/private.md": "# Private\n",
            "docs/drafts/a.md": "# Draft\n",
            "docs/wip-idea.md": "# WIP\n",
            "docs/.hidden.md": "# Hidden\n",
            "docs/templates/t.md": "# Template\n",
            "docs/sub/README.md": "# Shadowed\n",
            "docs/sub/index.md": "# Sub\n",
        },
    )
    site = site_for_path(str(tmp_path))
    assert sorted(p.path for p in site.pages) == ["README.md", "sub/index.md"]
    assert site.page_link("README.md") == site.link_base.rstrip("/") + "/"
    assert site.page_link("sub/README.md", "a") == site.link_base.rstrip("/") + "/sub/#a"


@pytest.mark.skipif(not ESO.is_dir(), reason=f"real fixture absent: {ESO}")
def test_external_secrets_config_under_hack_reads_the_docs_two_levels_up():
    site = site_for_path(str(ESO / "hack" / "api-docs" / "mkdocs.yml"))
    assert site.title == "External Secrets Operator" and not site.skipped
    assert Path(site.location) == (ESO / "docs").resolve()
    assert len(site.pages) == 125
    assert next(p.nav_title for p in site.pages if p.path == "provider-passworddepot.md") == "Password Depot"


@pytest.mark.skipif(not ARGO.is_dir(), reason=f"real fixture absent: {ARGO}")
def test_argo_exclude_docs_and_readme_home():
    site = site_for_path(str(ARGO))
    paths = {p.path for p in site.pages}
    assert "tested-kubernetes-versions.md" not in paths  # listed in exclude_docs
    assert "README.md" in paths and site.page_link("README.md").endswith("argoproj__argo-workflows/")


# --- pymdownx.snippets ---------------------------------------------------------------------------
SNIPPET_FILES = {
    "examples/wf.yaml": "# comment 1\n# comment 2\napiVersion: v1\nkind: Workflow\n",
    "parts/steps.md": "before\n--8<-- [start:steps]\n1. one\n2. two\n--8<-- [end:steps]\nafter\n",
    "parts/nested.md": 'nested start\n--8<-- "parts/leaf.md"\n',
    "parts/leaf.md": "leaf line\n",
    "parts/loop.md": 'loop\n--8<-- "parts/loop.md"\n',
    "footer.md": "*Footer*\n",
}


def test_snippet_forms(tmp_path):
    find = directory_finder([_write(tmp_path / "root", SNIPPET_FILES)])
    page = (
        "```yaml\n"
        '--8<-- "examples/wf.yaml:3"\n'
        "```\n"
        '--8<-- "examples/wf.yaml:3:3"\n'
        '--8<-- "examples/wf.yaml::1,4:4"\n'
        '--8<-- "parts/steps.md:steps"\n'
        '--8<-- "parts/steps.md"\n'
        '    --8<-- "parts/leaf.md"\n'
        "--8<--\nparts/nested.md\n; parts/leaf.md\n\n--8<--\n"
        ';--8<-- "parts/leaf.md"\n'
        '--8<-- "parts/missing.md"\n'
        '--8<-- "parts/loop.md"\n'
        '--8<-- "../outside.md"\n'
    )
    (tmp_path / "outside.md").write_text("must not be read\n")
    lines = expand_snippets(page, find, auto_append=["footer.md"]).splitlines()
    assert lines == [
        "```yaml",
        "apiVersion: v1",
        "kind: Workflow",
        "```",
        "apiVersion: v1",
        "# comment 1",
        "kind: Workflow",
        "1. one",
        "2. two",
        "before",
        "1. one",
        "2. two",
        "after",
        "    leaf line",
        "nested start",
        "leaf line",
        '--8<-- "parts/leaf.md"',
        "loop",
        "",
        "*Footer*",
    ]


@pytest.mark.skipif(not ARGO.is_dir(), reason=f"real fixture absent: {ARGO}")
def test_argo_snippets_pull_the_example_workflows_into_the_page():
    site = site_for_path(str(ARGO))
    text = _page_text(site, "synchronization.md")
    assert "--8<--" not in text
    example = (ARGO / "examples" / "synchronization-wf-level.yaml").read_text().splitlines()
    assert "\n".join(example[11:14]) in text  # from line 12 on, as ``:12`` asks
    assert example[0] not in text  # the comment header before line 12 is left out
    releases = _page_text(site, "releases.md")
    assert "This section is only populated for released Argo Workflows versions." in releases


# --- mkdocs-macros includes ---------------------------------------------------------------------
def test_macro_includes_and_raw_blocks(tmp_path):
    find = directory_finder([_write(tmp_path, {"inc/store.yaml": "kind: SecretStore\n", "inc/t.yaml": TEMPLATED})])
    page = (
        "```yaml\n{% include 'store.yaml' %}\n```\n"
        '{% include "t.yaml" %}\n'
        "{% raw %}{% include 'store.yaml' %}{% endraw %}\n"
    )
    assert render_macro_includes(page, directory_finder([tmp_path / "inc"])) == (
        "```yaml\nkind: SecretStore\n```\n\nvalue: {{ .password }}\n{% include 'store.yaml' %}\n"
    )
    assert find("inc/store.yaml") == "kind: SecretStore\n"


TEMPLATED = "{% raw %}\nvalue: {{ .password }}\n{% endraw %}\n"


@pytest.mark.skipif(not ESO.is_dir(), reason=f"real fixture absent: {ESO}")
def test_external_secrets_macro_includes_fill_the_code_blocks():
    site = site_for_path(str(ESO / "hack" / "api-docs" / "mkdocs.yml"))
    text = _page_text(site, "provider-passworddepot.md")
    assert "{% include" not in text
    assert (ESO / "docs" / "snippets" / "passworddepot-secret-store.yaml").read_text().strip() in text
    full = _page_text(site, "api/externalsecret.md")
    assert "{% raw %}" not in full and "{{ .username }}" in full
