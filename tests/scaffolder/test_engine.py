"""The engine and each built-in action, on small templates written by the tests."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.scaffolder import make_runtime
from tools.scaffolder.actions import ActionError
from tools.scaffolder.engine import ParameterError, StepFailed, check_runnable, run_template
from tools.scaffolder.model import Template
from tools.scaffolder.preview import render
from tools.scaffolder.publishers import Publishers


def make(
    tmp_path: Path,
    steps: list[dict[str, Any]],
    files: dict[str, str | bytes] | None = None,
    parameters: Any = None,
    output: dict[str, Any] | None = None,
) -> Template:
    root = tmp_path / "tpl"
    for rel, content in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    doc = {
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": {"name": "t"},
        "spec": {
            "owner": "group:default/team-platform",
            "type": "service",
            "parameters": parameters or [{"properties": {"name": {"type": "string", "default": "svc"}}}],
            "steps": steps,
            "output": output or {},
        },
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / "template.yaml").write_text(yaml.safe_dump(doc))
    return Template.from_file(root / "template.yaml")


def fetch(**extra: Any) -> dict[str, Any]:
    return {
        "id": "fetch",
        "action": "fetch:template",
        "input": {"url": "./skeleton", "values": {"name": "${{ parameters.name }}", "n": 2}, **extra},
    }


def test_fetch_template_renders_names_and_contents(tmp_path):
    t = make(
        tmp_path,
        [fetch()],
        {
            "skeleton/${{ values.name }}/main.txt": "hello ${{ values.name }} x${{ values.n }}\n",
            "skeleton/plain.md": "{% if values.n > 1 %}many{% endif %}",
            "skeleton/.hidden": "${{ values.name }}",
            "skeleton/logo.bin": b"\x00\x01${{ values.name }}",
        },
    )
    r = run_template(t, {"name": "orders"})
    assert r.text_of("orders/main.txt") == "hello orders x2\n"
    assert r.text_of("plain.md") == "many"
    assert r.text_of(".hidden") == "orders"
    assert r.files["logo.bin"] == b"\x00\x01${{ values.name }}"  # binary files are copied as is


def test_fetch_template_copy_without_render_keeps_names_and_contents(tmp_path):
    t = make(
        tmp_path,
        [fetch(copyWithoutRender=[".github/workflows/*", "raw"])],
        {
            "skeleton/.github/workflows/ci.yml": "run: echo ${{ github.sha }}",
            "skeleton/raw/${{ values.name }}.txt": "${{ values.name }}",
            "skeleton/done.txt": "${{ values.name }}",
        },
    )
    r = run_template(t, {"name": "orders"})
    assert r.text_of(".github/workflows/ci.yml") == "run: echo ${{ github.sha }}"
    assert r.text_of("raw/${{ values.name }}.txt") == "${{ values.name }}"
    assert r.text_of("done.txt") == "orders"
    assert r.not_rendered == {".github/workflows/ci.yml", "raw/${{ values.name }}.txt"}


def test_fetch_template_copy_without_templating_renders_names_only(tmp_path):
    t = make(tmp_path, [fetch(copyWithoutTemplating=["keep/*"])], {"skeleton/keep/${{ values.name }}.txt": "${{ x }}"})
    r = run_template(t, {"name": "orders"})
    assert r.text_of("keep/orders.txt") == "${{ x }}"


def test_fetch_template_file_extension_renders_only_njk_files(tmp_path):
    t = make(
        tmp_path,
        [fetch(templateFileExtension=True, targetPath="./out")],
        {
            "skeleton/values.yaml.njk": "name: ${{ values.name }}",
            "skeleton/README.md": "literal ${{ values.name }}",
            "skeleton/${{ values.name }}.cfg": "x",
        },
    )
    r = run_template(t, {"name": "orders"})
    assert r.text_of("out/values.yaml") == "name: orders"
    assert r.text_of("out/README.md") == "literal ${{ values.name }}"
    assert r.text_of("out/orders.cfg") == "x"  # names are still rendered
    assert "out/README.md" in r.not_rendered


def test_fetch_template_custom_extension_and_incompatible_inputs(tmp_path):
    t = make(tmp_path, [fetch(templateFileExtension=".tpl")], {"skeleton/a.txt.tpl": "${{ values.name }}"})
    assert run_template(t, {}).text_of("a.txt") == "svc"
    bad = make(tmp_path / "b", [fetch(templateFileExtension=True, copyWithoutRender=["x"])], {"skeleton/a": "a"})
    with pytest.raises(StepFailed, match="incompatible"):
        run_template(bad, {})


def test_fetch_template_keeps_existing_files_unless_replace(tmp_path):
    steps = [
        {"id": "one", "action": "fetch:plain", "input": {"url": "./first"}},
        {"id": "two", "action": "fetch:template", "input": {"url": "./second", "values": {}}},
    ]
    files = {"first/a.txt": "first", "second/a.txt": "second", "second/b.txt": "b"}
    r = run_template(make(tmp_path, steps, files), {})
    assert r.text_of("a.txt") == "first" and r.text_of("b.txt") == "b"
    steps[1]["input"]["replace"] = True
    r = run_template(make(tmp_path / "r", steps, files), {})
    assert r.text_of("a.txt") == "second"


def test_fetch_plain_copies_without_rendering_and_cookiecutter_renders_double_braces(tmp_path):
    steps = [
        {"id": "plain", "action": "fetch:plain", "input": {"url": "./plain", "targetPath": "p"}},
        {
            "id": "cc",
            "action": "fetch:cookiecutter",
            "input": {"url": "./cc", "values": {"name": "${{ parameters.name }}"}},
        },
    ]
    r = run_template(
        make(
            tmp_path,
            steps,
            {
                "plain/x.txt": "${{ values.name }}",
                "cc/{{cookiecutter.name}}.md": "name: {{ cookiecutter.name | jsonify }}",
            },
        ),
        {"name": "orders"},
    )
    assert r.text_of("p/x.txt") == "${{ values.name }}"
    assert r.text_of("orders.md") == 'name: "orders"'


def test_paths_cannot_escape_the_workspace(tmp_path):
    t = make(tmp_path, [fetch(targetPath="../../etc")], {"skeleton/a": "a"})
    with pytest.raises(StepFailed, match="outside the workspace"):
        run_template(t, {})


def test_remote_urls_are_skipped_in_a_dry_run_and_refused_for_real(tmp_path):
    t = make(tmp_path, [{"id": "docs", "action": "fetch:plain", "input": {"url": "https://github.com/x/y"}}])
    r = run_template(t, {})
    assert r.files == {} and any("cannot be fetched" in line for line in r.log)
    with pytest.raises(StepFailed, match="cannot be fetched"):
        run_template(t, {}, dry_run=False)


def test_if_and_each_follow_backstage(tmp_path):
    steps = [
        {"id": "skip", "if": "${{ parameters.flag }}", "action": "debug:log", "input": {"message": "never"}},
        {"id": "always", "if": "${{ not parameters.flag }}", "action": "debug:log", "input": {"message": "ran"}},
        {"id": "off", "if": False, "action": "debug:log", "input": {"message": "never"}},
        {
            "id": "write",
            "each": "${{ parameters.items }}",
            "action": "catalog:write",
            "if": "${{ each.value != 'skipme' }}",
            "input": {"filePath": "${{ each.value }}-${{ each.key }}.yaml", "entity": {"name": "${{ each.value }}"}},
        },
        {
            "id": "map",
            "each": {"a": 1, "b": 2},
            "action": "catalog:write",
            "input": {"filePath": "m-${{ each.key }}.yaml", "entity": {"v": "${{ each.value }}"}},
        },
    ]
    params = [
        {
            "properties": {
                "flag": {"type": "boolean", "default": False},
                "items": {"type": "array", "default": ["x", "skipme", "y"]},
            }
        }
    ]
    r = run_template(make(tmp_path, steps, parameters=params), {})
    statuses = {s.id: s.status for s in r.steps}
    assert statuses == {
        "skip": "skipped-if",
        "always": "completed",
        "off": "skipped-if",
        "write": "completed",
        "map": "completed",
    }
    assert sorted(r.files) == ["m-a.yaml", "m-b.yaml", "x-0.yaml", "y-2.yaml"]
    assert yaml.safe_load(r.files["m-b.yaml"]) == {"v": 2}  # a whole-value each.value keeps its type
    assert "[always] ran" in r.log


def test_each_collects_outputs_into_lists_and_steps_outputs_are_visible(tmp_path):
    repos = tmp_path / "repos"
    steps = [
        {"id": "fetch", "action": "fetch:template", "input": {"url": "./skeleton", "values": {}}},
        {
            "id": "publish",
            "action": "publish:github",
            "each": ["one", "two"],
            "input": {"repoUrl": "local?owner=o&repo=${{ each.value }}", "defaultBranch": "main"},
        },
        {"id": "log", "action": "debug:log", "input": {"message": "${{ steps.publish.output.remoteUrl | dump }}"}},
    ]
    t = make(
        tmp_path,
        steps,
        {"skeleton/a.txt": "a"},
        output={
            "links": [{"title": "first", "url": "${{ steps.publish.output.remoteUrl[0] }}"}],
            "text": [{"title": "count", "content": "${{ steps.publish.output.commitHash | length }}"}],
        },
    )
    r = run_template(t, {}, dry_run=False, publisher=Publishers(repos_dir=repos))
    assert (repos / "o" / "one" / "a.txt").read_text() == "a" and (repos / "o" / "two" / ".git").is_dir()
    assert r.links == [{"title": "first", "url": (repos / "o" / "one").resolve().as_uri()}]
    assert r.text == [{"title": "count", "content": 2}]
    assert any('["file://' in line for line in r.log)


def test_each_that_resolves_to_nothing_is_an_error(tmp_path):
    t = make(tmp_path, [{"id": "e", "each": "${{ parameters.nothing }}", "action": "debug:log", "input": {}}])
    with pytest.raises(StepFailed, match="cannot be resolved"):
        run_template(t, {})


def test_unknown_action_is_a_clear_error_naming_it(tmp_path):
    t = make(tmp_path, [{"id": "x", "action": "acme:frobnicate", "input": {}}])
    with pytest.raises(StepFailed) as info:
        run_template(t, {})
    assert "acme:frobnicate" in str(info.value) and "is not registered" in str(info.value)
    assert "fetch:template" in str(info.value)  # lists what is available


def test_known_backstage_actions_are_skipped_dry_and_refused_for_real(tmp_path):
    t = make(tmp_path, [{"id": "mr", "action": "publish:gitlab:merge-request", "input": {"repoUrl": "x"}}])
    r = run_template(t, {})
    assert r.steps[0].status == "skipped-dry-run"
    assert check_runnable(t) and "publish:gitlab:merge-request" in check_runnable(t)[0]
    with pytest.raises(ActionError, match="cannot run"):
        run_template(t, {}, dry_run=False, publisher=Publishers(repos_dir=tmp_path))


def test_action_input_is_validated_against_its_schema(tmp_path):
    t = make(tmp_path, [{"id": "w", "action": "catalog:write", "input": {"entity": "not an object"}}])
    with pytest.raises(StepFailed, match="Invalid input passed to action catalog:write"):
        run_template(t, {})


def test_parameters_are_validated_before_anything_runs(tmp_path):
    params = [{"required": ["name"], "properties": {"name": {"type": "string", "enum": ["a", "b"]}}}]
    t = make(tmp_path, [{"id": "w", "action": "debug:log", "input": {}}], parameters=params)
    with pytest.raises(ParameterError, match="missing required parameters: name"):
        run_template(t, {})
    with pytest.raises(ParameterError, match="is not one of"):
        run_template(t, {"name": "c"})


def test_user_and_secrets_context(tmp_path):
    steps = [
        {
            "id": "w",
            "action": "catalog:write",
            "input": {
                "filePath": "u.yaml",
                "entity": {
                    "by": "${{ user.entity.metadata.name }}",
                    "ref": "${{ user.ref }}",
                    "secret": "${{ secrets.TOKEN or 'hidden' }}",
                },
            },
        }
    ]
    user = {"ref": "user:default/karim.nasser", "entity": {"metadata": {"name": "karim.nasser"}}}
    dry = run_template(make(tmp_path, steps), {}, user=user, secrets={"TOKEN": "s3cr3t"})
    assert yaml.safe_load(dry.files["u.yaml"]) == {
        "by": "karim.nasser",
        "ref": "user:default/karim.nasser",
        "secret": "hidden",
    }  # no secrets in a dry run
    real = run_template(make(tmp_path / "r", steps), {}, user=user, secrets={"TOKEN": "s3cr3t"}, dry_run=False)
    assert yaml.safe_load(real.files["u.yaml"])["secret"] == "s3cr3t"


def test_fs_rename_and_delete(tmp_path):
    steps = [
        fetch(),
        {
            "id": "mv",
            "action": "fs:rename",
            "input": {"files": [{"from": "a.txt", "to": "moved/${{ parameters.name }}.txt"}]},
        },
        {"id": "rm", "action": "fs:delete", "input": {"files": ["junk/**", "*.tmp"]}},
    ]
    files = {"skeleton/a.txt": "a", "skeleton/junk/x/y.txt": "y", "skeleton/b.tmp": "t", "skeleton/keep.txt": "k"}
    r = run_template(make(tmp_path, steps, files), {})
    assert sorted(r.files) == ["keep.txt", "moved/svc.txt"]
    clash = [fetch(), {"id": "mv", "action": "fs:rename", "input": {"files": [{"from": "a.txt", "to": "keep.txt"}]}}]
    with pytest.raises(StepFailed, match="destination exists"):
        run_template(make(tmp_path / "c", clash, files), {})
    clash[1]["input"]["files"][0]["overwrite"] = True
    assert run_template(make(tmp_path / "d", clash, files), {}).text_of("keep.txt") == "a"


def test_debug_log_lists_the_workspace(tmp_path):
    steps = [
        fetch(),
        {"id": "log", "action": "debug:log", "input": {"message": "hi ${{ parameters.name }}", "listWorkspace": True}},
    ]
    r = run_template(make(tmp_path, steps, {"skeleton/a.txt": "a"}), {})
    assert "[log] hi svc" in r.log and any("  - a.txt" in line for line in r.log)


def test_catalog_write_and_register_add_the_entity_to_the_running_catalog(tmp_path, runtime):
    steps = [
        {
            "id": "write",
            "action": "catalog:write",
            "input": {
                "entity": {
                    "apiVersion": "backstage.io/v1alpha1",
                    "kind": "Component",
                    "metadata": {"name": "${{ parameters.name }}"},
                    "spec": {"type": "service", "lifecycle": "experimental", "owner": "group:default/team-billing"},
                }
            },
        },
        {
            "id": "publish",
            "action": "publish:github",
            "input": {"repoUrl": "local?owner=tessera&repo=${{ parameters.name }}", "defaultBranch": "main"},
        },
        {
            "id": "register",
            "action": "catalog:register",
            "input": {
                "repoContentsUrl": "${{ steps['publish'].output.repoContentsUrl }}",
                "catalogInfoPath": "/catalog-info.yaml",
            },
        },
    ]
    links = [{"title": "Open", "entityRef": "${{ steps.register.output.entityRef }}"}]
    t = make(tmp_path, steps, output={"links": links})
    dry = run_template(t, {"name": "billing-api"}, publisher=Publishers(repos_dir=tmp_path / "repos"))
    assert [s.status for s in dry.steps] == ["completed", "skipped-dry-run", "skipped-dry-run"]
    assert dry.links == [{"title": "Open", "entityRef": "component:default/billing-api"}]  # predicted
    assert runtime.catalog.get("component:default/billing-api") is None
    real = run_template(
        t, {"name": "billing-api"}, dry_run=False, runtime=runtime, publisher=Publishers(repos_dir=tmp_path / "repos")
    )
    assert real.registered == ["component:default/billing-api"]
    entity = runtime.catalog.get("component:default/billing-api")
    assert entity is not None and runtime.catalog.owner_of(entity.ref) == "group:default/team-billing"
    assert "component:default/billing-api" in runtime.catalog.owned_by("group:default/team-billing")
    restarted = make_runtime(runtime.data_dir)  # the registration outlives the process
    assert restarted.catalog.owner_of("component:default/billing-api") == "group:default/team-billing"
    log = subprocess.run(
        ["git", "-C", str(tmp_path / "repos" / "tessera" / "billing-api"), "log", "--oneline"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "initial commit" in log


def test_register_of_an_unreachable_file_fails_unless_optional(tmp_path, runtime):
    steps = [{"id": "register", "action": "catalog:register", "input": {"catalogInfoUrl": "https://x/y.yaml"}}]
    with pytest.raises(StepFailed, match="not reachable"):
        run_template(make(tmp_path, steps), {}, dry_run=False, runtime=runtime)
    steps[0]["input"]["optional"] = True
    run_template(make(tmp_path / "o", steps), {}, dry_run=False, runtime=runtime)


def test_local_pull_request_commits_on_a_branch(tmp_path):
    repos = tmp_path / "repos"
    create = make(
        tmp_path / "c",
        [
            fetch(),
            {
                "id": "p",
                "action": "publish:github",
                "input": {"repoUrl": "local?owner=o&repo=r", "defaultBranch": "main"},
            },
        ],
        {"skeleton/README.md": "v1"},
    )
    run_template(create, {}, dry_run=False, publisher=Publishers(repos_dir=repos))
    pr = make(
        tmp_path / "p",
        [
            fetch(),
            {
                "id": "pr",
                "action": "publish:github:pull-request",
                "input": {
                    "repoUrl": "local?owner=o&repo=r",
                    "branchName": "add-${{ parameters.name }}",
                    "title": "Add ${{ parameters.name }}",
                    "targetPath": "services/${{ parameters.name }}",
                },
            },
        ],
        {"skeleton/main.txt": "${{ values.name }}"},
        output={"links": [{"url": "${{ steps.pr.output.remoteUrl }}"}]},
    )
    r = run_template(pr, {}, dry_run=False, publisher=Publishers(repos_dir=repos))
    repo = repos / "o" / "r"
    shown = subprocess.run(
        ["git", "-C", str(repo), "show", "add-svc:services/svc/main.txt"], capture_output=True, text=True, check=True
    ).stdout
    assert shown == "svc"
    assert not (repo / "services").exists()  # the default branch is untouched
    assert r.links[0]["url"].endswith("/pull/1")


def test_preview_shows_tree_contents_and_marks(tmp_path):
    t = make(
        tmp_path,
        [fetch(copyWithoutRender=["raw.txt"])],
        {"skeleton/src/a.py": "print('${{ values.name }}')", "skeleton/raw.txt": "${{ keep }}"},
    )
    text = render(run_template(t, {}))
    assert "├── src/" in text and "raw.txt  (copied without rendering)" in text
    assert "print('svc')" in text


def test_pull_request_preview_shows_diffs_against_the_local_repository(tmp_path):
    from tools.scaffolder.preview import existing_tree

    repos = tmp_path / "repos"
    create = make(
        tmp_path / "c",
        [
            fetch(),
            {
                "id": "p",
                "action": "publish:github",
                "input": {"repoUrl": "local?owner=o&repo=r", "defaultBranch": "main"},
            },
        ],
        {"skeleton/svc/config.txt": "replicas: 1\nname: old\n"},
    )
    run_template(create, {}, dry_run=False, publisher=Publishers(repos_dir=repos))
    pr = make(
        tmp_path / "p",
        [
            fetch(),
            {
                "id": "pr",
                "action": "publish:github:pull-request",
                "input": {"repoUrl": "local?owner=o&repo=r", "branchName": "b", "title": "t", "targetPath": "svc"},
            },
        ],
        {"skeleton/config.txt": "replicas: 1\nname: ${{ values.name }}\n", "skeleton/new.txt": "new"},
    )
    publishers = Publishers(repos_dir=repos)
    result = run_template(pr, {}, publisher=publishers)
    existing = existing_tree(result, pr, publishers)
    assert existing == repos / "o" / "r" / "svc"
    text = render(result, existing=existing)
    assert "**config.txt** (changed)" in text and "-name: old" in text and "+name: svc" in text
    assert "**new.txt**" in text
