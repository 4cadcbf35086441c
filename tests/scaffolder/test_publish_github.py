"""publish:github and publish:github:pull-request through PyGithub against a local GitHub stand-in."""

from __future__ import annotations

import pytest

from tests.scaffolder.github_standin import GitHubStandIn
from tests.support.scaffolder import DEMO_TEMPLATES, SOFTWARE_TEMPLATES
from tools.scaffolder.engine import StepFailed, run_template
from tools.scaffolder.model import Template
from tools.scaffolder.publishers import Publishers, api_url_for

TOKEN = "test-token"


@pytest.fixture
def github():
    with GitHubStandIn(orgs={"tessera"}) as gh:
        yield gh


def publishers(tmp_path, gh, token=TOKEN):
    return Publishers(repos_dir=tmp_path / "repos", github_url=gh.url, github_token=token, github_pace=(0, 0))


def test_publish_github_creates_the_repository_and_registers_it(tmp_path, github, runtime):
    template = Template.from_file(DEMO_TEMPLATES / "python-fastapi-service" / "template.yaml")
    values = {
        "name": "invoice-api",
        "owner": "group:default/team-billing",
        "repoUrl": "github.com?owner=tessera&repo=invoice-api",
    }
    dry = run_template(template, values)
    assert github.calls == []  # a dry run never talks to GitHub
    result = run_template(template, values, dry_run=False, publisher=publishers(tmp_path, github), runtime=runtime)
    routes = github.routes()
    assert routes[:4] == [
        "GET /users/tessera",
        "GET /orgs/tessera",
        "POST /orgs/tessera/repos",
        "GET /repos/tessera/invoice-api/git/ref/heads/main",
    ]
    assert "POST /repos/tessera/invoice-api/git/blobs" not in routes  # text files go inline in the tree
    assert routes[4:] == [
        "GET /repos/tessera/invoice-api/git/commits/" + routes[4].rsplit("/", 1)[-1],
        "POST /repos/tessera/invoice-api/git/trees",
        "POST /repos/tessera/invoice-api/git/commits",
        "PATCH /repos/tessera/invoice-api/git/refs/heads/main",
    ]
    assert all(c["auth"] == f"token {TOKEN}" for c in github.calls)
    create = next(c for c in github.calls if c["path"] == "/orgs/tessera/repos")["body"]
    assert create["name"] == "invoice-api" and create["private"] is True and create["auto_init"] is True
    assert create["description"] == "A Python service at Tessera"
    commit = next(c for c in github.calls if c["path"].endswith("/git/commits") and c["method"] == "POST")["body"]
    assert commit["message"] == "Create invoice-api from the python-fastapi-service template"
    published = github.state.files_at("tessera/invoice-api", "main")
    assert published == dry.files  # exactly the tree the dry run showed
    tree = next(c for c in github.calls if c["path"].endswith("/git/trees"))["body"]
    assert "base_tree" not in tree  # the auto-init README is replaced, not kept
    assert result.links[0] == {"title": "Repository", "url": "https://github.example/tessera/invoice-api.git"}
    assert result.registered == ["component:default/invoice-api"]
    assert (
        runtime.catalog.get("component:default/invoice-api").annotations["github.com/project-slug"]
        == "tessera/invoice-api"
    )


def test_publish_github_for_a_user_account_and_a_non_default_branch(tmp_path, github):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    steps_template = Template.from_document(
        {
            "apiVersion": "scaffolder.backstage.io/v1beta3",
            "kind": "Template",
            "metadata": {"name": "t"},
            "spec": {
                "steps": [
                    {"id": "w", "action": "catalog:write", "input": {"entity": {"kind": "Component"}}},
                    {"id": "a", "action": "fetch:plain", "input": {"url": "./assets", "targetPath": "assets"}},
                    {
                        "id": "p",
                        "action": "publish:github",
                        "input": {
                            "repoUrl": "github.com?owner=octo&repo=tool",
                            "repoVisibility": "public",
                            "defaultBranch": "trunk",
                            "topics": ["python"],
                        },
                    },
                ],
                "output": {"links": [{"url": "${{ steps.p.output.repoContentsUrl }}"}]},
            },
        },
        tmp_path,
        "t.yaml",
    )
    result = run_template(steps_template, {}, dry_run=False, publisher=publishers(tmp_path, github))
    routes = github.routes()
    assert "POST /user/repos" in routes and "GET /orgs/octo" not in routes
    assert next(c for c in github.calls if c["path"] == "/user/repos")["body"]["private"] is False
    assert "POST /repos/octo/tool/git/refs" in routes and "PATCH /repos/octo/tool" in routes
    assert github.state.repos["octo/tool"]["default_branch"] == "trunk"
    assert routes.count("POST /repos/octo/tool/git/blobs") == 1  # only the binary file is a separate blob
    assert github.state.files_at("octo/tool", "trunk")["assets/logo.png"].endswith(b"\x00\x00binary")
    assert next(c for c in github.calls if c["path"].endswith("/topics"))["body"] == {"names": ["python"]}
    assert result.links == [{"url": "https://github.example/octo/tool/blob/trunk"}]


def test_pull_request_variant_commits_on_a_branch_and_opens_the_pull_request(tmp_path, github):
    if not (SOFTWARE_TEMPLATES / "pull-request" / "template.yaml").is_file():
        pytest.skip("../shared/fixtures/backstage pull-request template is not present (fresh clone)")
    github.state.add_repo("tessera", "monorepo", {"README.md": b"# monorepo\n"})
    template = Template.from_file(SOFTWARE_TEMPLATES / "pull-request" / "template.yaml")
    # the template also fetches a remote folder, which cannot be fetched offline: drop that step here
    template.steps = [s for s in template.steps if s.action != "fetch:plain"]
    values = {"name": "billing", "description": "Billing bits", "repoUrl": "github.com?owner=tessera&repo=monorepo"}
    result = run_template(template, values, dry_run=False, publisher=publishers(tmp_path, github))
    routes = github.routes()
    assert routes[0] == "GET /repos/tessera/monorepo"
    assert "POST /repos/tessera/monorepo/git/refs" in routes and routes[-1] == "POST /repos/tessera/monorepo/pulls"
    tree = next(c for c in github.calls if c["path"].endswith("/git/trees"))["body"]
    assert tree["base_tree"] and [e["path"] for e in tree["tree"]] == ["billing/catalog-info.yaml"]
    ref = next(c for c in github.calls if c["path"].endswith("/git/refs") and c["method"] == "POST")["body"]
    assert ref["ref"] == "refs/heads/create-billing"
    pull = github.state.pulls[0]
    assert pull["title"] == "Create new project: billing" and pull["head"] == "create-billing"
    assert pull["base"] == "main" and "Billing bits" in pull["body"]
    files = github.state.files_at("tessera/monorepo", "create-billing")
    assert set(files) == {"README.md", "billing/catalog-info.yaml"}
    assert github.state.files_at("tessera/monorepo", "main") == {"README.md": b"# monorepo\n"}
    assert result.links == [{"url": "https://github.example/tessera/monorepo/pull/1", "title": "Go to PR"}]


def _publish_only(tmp_path, repo="github.com?owner=tessera&repo=dup"):
    return Template.from_document(
        {
            "apiVersion": "scaffolder.backstage.io/v1beta3",
            "kind": "Template",
            "metadata": {"name": "t"},
            "spec": {"steps": [{"id": "p", "action": "publish:github", "input": {"repoUrl": repo}}]},
        },
        tmp_path,
        "t.yaml",
    )


def test_github_errors_are_clear_and_never_show_the_token(tmp_path, github):
    github.state.add_repo("tessera", "dup")
    with pytest.raises(StepFailed, match="GitHub answered 422") as info:
        run_template(_publish_only(tmp_path), {}, dry_run=False, publisher=publishers(tmp_path, github))
    assert TOKEN not in str(info.value)
    with pytest.raises(StepFailed, match="GitHub answered 401: Bad credentials") as info:
        run_template(
            _publish_only(tmp_path, "github.com?owner=tessera&repo=new"),
            {},
            dry_run=False,
            publisher=publishers(tmp_path, github, token="wrong-secret"),
        )
    assert "wrong-secret" not in str(info.value)
    with pytest.raises(StepFailed, match="PORTAL_AGENT_GITHUB_TOKEN"):
        run_template(_publish_only(tmp_path), {}, dry_run=False, publisher=publishers(tmp_path, github, token=None))


def test_allowed_hosts_are_enforced(tmp_path, github):
    template = Template.from_document(
        {
            "apiVersion": "scaffolder.backstage.io/v1beta3",
            "kind": "Template",
            "metadata": {"name": "t"},
            "spec": {
                "steps": [
                    {
                        "id": "p",
                        "action": "publish:github",
                        "input": {"repoUrl": "evil.example?owner=o&repo=r", "allowedHosts": ["github.com"]},
                    }
                ]
            },
        },
        tmp_path,
        "t.yaml",
    )
    with pytest.raises(StepFailed, match="not one of the allowed hosts"):
        run_template(template, {}, dry_run=False, publisher=publishers(tmp_path, github))
    assert github.calls == []


def test_api_urls_for_github_and_enterprise():
    assert api_url_for("github.com", None) == "https://api.github.com"
    assert api_url_for("ghe.tessera.example", None) == "https://ghe.tessera.example/api/v3"
    assert api_url_for("github.com", "https://ghe.tessera.example/api/v3/") == "https://ghe.tessera.example/api/v3"
