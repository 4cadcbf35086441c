"""Template generation with a language model: the real ``openai``/``langchain-openai`` client against
the scripted OpenAI-compatible server. A good draft is accepted after its dry run; a broken draft
gets one retry with the errors in the second request, then the building blocks take over; an
unreachable model falls back with a clear note. Nothing unchecked is saved."""

from __future__ import annotations

import json
import socket

import pytest
import yaml

from agent.service import AgentService
from tests.support.openai_server import ScriptedOpenAI
from tests.support.scaffolder import make_runtime
from tools.scaffolder.drafting import parse_envelope, suggested_name
from tools.scaffolder.engine import run_template
from tools.scaffolder.generator import GenerationError, generate_template
from tools.scaffolder.model import Template
from tools.scaffolder.sources import generated_dir, templates_of

OWNER = "group:default/team-billing"
FALLBACK_DESCRIPTION = "a Go service with a Postgres database"  # the building blocks can compose this one
FALLBACK_NAME = "go-postgres-service"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def llm_runtime(tmp_path, url: str, **settings):
    return make_runtime(tmp_path, model="openai-compatible:scripted", model_base_url=url, **settings)


def good_files(name: str, owner: str = OWNER) -> dict[str, str]:
    """A small Rust service template, as a model might draft it."""
    template = {
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": {
            "name": name,
            "title": "Rust Axum service",
            "description": "An Axum HTTP service",
            "tags": ["rust", "axum"],
        },
        "spec": {
            "owner": owner,
            "type": "service",
            "parameters": [
                {
                    "title": "Service",
                    "required": ["name", "owner"],
                    "properties": {
                        "name": {"type": "string", "pattern": "^[a-z][a-z0-9-]{1,40}[a-z0-9]$"},
                        "owner": {
                            "type": "string",
                            "ui:field": "OwnerPicker",
                            "ui:options": {"catalogFilter": {"kind": "Group"}},
                        },
                        "port": {"type": "integer", "default": 3000},
                        "description": {"type": "string", "default": "An Axum service"},
                    },
                },
                {
                    "title": "Repository",
                    "required": ["repoUrl"],
                    "properties": {
                        "repoUrl": {
                            "type": "string",
                            "ui:field": "RepoUrlPicker",
                            "ui:options": {"allowedHosts": ["local", "github.com"]},
                        }
                    },
                },
            ],
            "steps": [
                {
                    "id": "fetch",
                    "name": "Fetch skeleton",
                    "action": "fetch:template",
                    "input": {
                        "url": "./skeleton",
                        "copyWithoutRender": [".github/workflows/*"],
                        "values": {
                            "name": "${{ parameters.name }}",
                            "owner": "${{ parameters.owner }}",
                            "port": "${{ parameters.port }}",
                            "description": "${{ parameters.description }}",
                        },
                    },
                },
                {
                    "id": "publish",
                    "name": "Publish",
                    "action": "publish:github",
                    "input": {"repoUrl": "${{ parameters.repoUrl }}", "defaultBranch": "main"},
                },
                {
                    "id": "register",
                    "name": "Register",
                    "action": "catalog:register",
                    "input": {
                        "repoContentsUrl": "${{ steps['publish'].output.repoContentsUrl }}",
                        "catalogInfoPath": "/catalog-info.yaml",
                    },
                },
            ],
            "output": {
                "links": [
                    {"title": "Repository", "url": "${{ steps['publish'].output.remoteUrl }}"},
                    {"title": "Open in catalog", "entityRef": "${{ steps['register'].output.entityRef }}"},
                ]
            },
        },
    }
    return {
        "template.yaml": yaml.safe_dump(template, sort_keys=False),
        "skeleton/catalog-info.yaml": (
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${{ values.name }}\n"
            "  description: ${{ values.description }}\nspec:\n  type: service\n  lifecycle: experimental\n"
            "  owner: ${{ values.owner }}\n"
        ),
        "skeleton/README.md": "# ${{ values.name }}\n\n${{ values.description }}, listening on ${{ values.port }}.\n",
        "skeleton/Cargo.toml": '[package]\nname = "${{ values.name }}"\nversion = "0.1.0"\nedition = "2021"\n',
        "skeleton/src/main.rs": 'fn main() { println!("${{ values.name }} on {}", ${{ values.port }}); }\n'
        "#[cfg(test)]\nmod tests { #[test] fn it_works() { assert_eq!(2 + 2, 4); } }\n",
        "skeleton/.github/workflows/ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: cargo test\n      - run: echo ${{ github.sha }}\n",
    }


def envelope(files: dict[str, str], *, fenced: bool = False) -> str:
    text = json.dumps({"files": [{"path": p, "content": c} for p, c in files.items()], "notes": "a draft"})
    return f"Here it is:\n```json\n{text}\n```" if fenced else text


def edit_template(files: dict[str, str], change) -> dict[str, str]:
    doc = yaml.safe_load(files["template.yaml"])
    change(doc)
    return {**files, "template.yaml": yaml.safe_dump(doc, sort_keys=False)}


# --- broken drafts, each with the error the model must be told --------------------------------------
def invalid_yaml(name: str) -> str:
    return envelope(
        {
            **good_files(name),
            "template.yaml": "apiVersion: scaffolder.backstage.io/v1beta3\n"
            "kind: Template\nmetadata:\n  name: [unclosed\n",
        }
    )


def unrendered_expression(name: str) -> str:
    def change(doc):  # a parameter default is not rendered, so the expression reaches README.md
        doc["spec"]["parameters"][0]["properties"]["description"]["default"] = "By ${{ user.entity.metadata.name }}"

    return envelope(edit_template(good_files(name), change))


def unknown_action(name: str) -> str:
    def change(doc):
        doc["spec"]["steps"].insert(1, {"id": "copy", "action": "fs:copy", "input": {"from": "a", "to": "b"}})

    return envelope(edit_template(good_files(name), change))


def escaping_path(name: str) -> str:
    return envelope({**good_files(name), "../outside.txt": "nope"})


def remote_fetch(name: str) -> str:
    def change(doc):
        doc["spec"]["steps"][0]["input"]["url"] = "file:///etc"

    return envelope(edit_template(good_files(name), change))


BROKEN = {
    "invalid-yaml": (invalid_yaml, "cannot read template"),
    "unrendered": (unrendered_expression, "README.md still contains '${{'"),
    "unknown-action": (unknown_action, "Template action with ID 'fs:copy' is not registered"),
    "not-an-envelope": (lambda name: "Sure! Your template is below.", "no JSON envelope"),
    "escaping-path": (escaping_path, "'../outside.txt' must be relative"),
    "remote-fetch": (remote_fetch, "url must be a literal relative path"),
}


# --- tests ---------------------------------------------------------------------------------------
def test_a_good_draft_is_checked_saved_and_usable(tmp_path):
    name = "rust-axum-service"
    with ScriptedOpenAI([{"content": envelope(good_files(name), fenced=True)}]) as server:
        runtime = llm_runtime(tmp_path, server.base_url)
        out = generate_template(runtime, "a Rust service with Axum", name=name, owner=OWNER)
    assert out["origin"] == "model" and out["produced_by"] == "drafted by openai-compatible:scripted"
    assert out["attempts"] == 1 and "fallback_reason" not in out
    assert out["template"] == f"template:default/{name}" and out["title"] == "Rust Axum service"
    assert set(out["skeleton"]) == {p for p in good_files(name) if p != "template.yaml"}
    assert out["dry_run"]["entities"] == ["Component:example-service"]
    assert "README.md" in out["dry_run"]["files"] and "fetch: completed" in out["dry_run"]["steps"]
    # The request: the prompt file with the name, owner and runnable actions; the description as asked.
    [request] = server.requests
    system, user = request["messages"]
    assert system["role"] == "system" and f"metadata.name: {name}" in system["content"]
    assert f"spec.owner: {OWNER}" in system["content"] and "catalog:register" in system["content"]
    assert "{actions}" not in system["content"] and "Your draft failed" not in system["content"]
    assert user == {"role": "user", "content": "a Rust service with Axum"}
    # Saved and indexed like any template, and it runs.
    index = templates_of(runtime)
    template = index.get(name)
    assert template is not None and template.source == out["path"]
    result = run_template(template, {"name": "edge-proxy", "owner": OWNER, "repoUrl": "local?owner=t&repo=edge-proxy"})
    assert result.text_of("README.md") == "# edge-proxy\n\nAn Axum service, listening on 3000.\n"
    assert "${{ github.sha }}" in result.text_of(".github/workflows/ci.yml")  # copied without rendering


@pytest.mark.parametrize("kind", list(BROKEN))
def test_a_broken_draft_is_retried_once_with_its_errors_then_building_blocks_are_used(tmp_path, kind):
    make, error = BROKEN[kind]
    first, second = make(FALLBACK_NAME), make(FALLBACK_NAME)
    with ScriptedOpenAI([{"content": first}, {"content": second}]) as server:
        runtime = llm_runtime(tmp_path, server.base_url)
        out = generate_template(runtime, FALLBACK_DESCRIPTION, owner=OWNER)
    assert len(server.requests) == 2
    retry = server.requests[1]["messages"]
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user"]
    assert retry[2]["content"] == first  # the model sees its own draft…
    assert "Your draft failed these checks" in retry[3]["content"] and error in retry[3]["content"]  # …and why
    assert "scaffolder-draft-" not in retry[3]["content"]  # scratch paths are not leaked into the feedback
    assert out["origin"] == "building-blocks" and out["produced_by"] == "composed from building blocks"
    assert "failed its checks 2 times" in out["fallback_reason"] and error in out["fallback_reason"]
    assert out["blueprint"]["language"] == "go" and out["dry_run"]["entities"]
    saved = Template.from_file(out["path"])
    assert saved.steps[0].action == "fetch:template" and "generated" in saved.tags
    assert sorted(p.name for p in generated_dir(runtime).iterdir()) == [FALLBACK_NAME]
    assert not (tmp_path / "outside.txt").exists()


def test_a_draft_fixed_on_retry_is_accepted(tmp_path):
    name = "rust-axum-service"
    script = [{"content": unknown_action(name)}, {"content": envelope(good_files(name))}]
    with ScriptedOpenAI(script) as server:
        out = generate_template(
            llm_runtime(tmp_path, server.base_url), "a Rust service with Axum", name=name, owner=OWNER
        )
    assert out["origin"] == "model" and out["attempts"] == 2
    assert "fs:copy" in server.requests[1]["messages"][-1]["content"]
    assert "fs:copy" not in out["template_yaml"]


def test_the_draft_must_keep_the_requested_name_and_owner(tmp_path):
    wrong = envelope(good_files("something-else", owner="group:default/team-platform"))
    with ScriptedOpenAI([{"content": wrong}, {"content": wrong}]) as server:
        out = generate_template(llm_runtime(tmp_path, server.base_url), FALLBACK_DESCRIPTION, owner=OWNER)
    feedback = server.requests[1]["messages"][-1]["content"]
    assert f"metadata.name must be '{FALLBACK_NAME}'" in feedback and f"spec.owner must be '{OWNER}'" in feedback
    assert out["origin"] == "building-blocks"


def test_an_unreachable_model_falls_back_with_a_clear_note(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    runtime = llm_runtime(tmp_path, url, model_max_retries=0, model_timeout=5)
    out = generate_template(runtime, FALLBACK_DESCRIPTION, owner=OWNER)
    assert out["origin"] == "building-blocks" and out["template"] == f"template:default/{FALLBACK_NAME}"
    assert "could not be reached" in out["fallback_reason"] and url in out["fallback_reason"]
    assert "composed from building blocks instead" in out["fallback_reason"]


def test_a_server_error_falls_back_and_the_description_the_blocks_cannot_read_is_refused(tmp_path):
    with ScriptedOpenAI([500]) as server:
        runtime = llm_runtime(tmp_path, server.base_url, model_max_retries=0)
        refused = r"call failed: .*500.*; and the building blocks cannot be used either: I could not tell"
        with pytest.raises(GenerationError, match=refused):
            generate_template(runtime, "a Rust service with Axum", owner=OWNER)
    assert not generated_dir(runtime).exists()


def test_an_unusable_model_setting_falls_back_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    runtime = make_runtime(tmp_path, model="openai:gpt-4o-mini")
    out = generate_template(runtime, FALLBACK_DESCRIPTION, owner=OWNER)
    assert out["origin"] == "building-blocks"
    assert out["fallback_reason"].startswith(
        "the model openai:gpt-4o-mini cannot be used: openai models need OPENAI_API_KEY"
    )


def test_a_bad_name_is_refused_before_the_model_is_asked(tmp_path):
    with ScriptedOpenAI([]) as server, pytest.raises(GenerationError, match="not a valid template name"):
        generate_template(llm_runtime(tmp_path, server.base_url), "a Rust service", name="../etc", owner=OWNER)
    assert server.requests == []


def test_offline_never_calls_a_model(tmp_path):
    with ScriptedOpenAI([]) as server:
        runtime = make_runtime(tmp_path, model_base_url=server.base_url)  # model stays "offline"
        out = generate_template(runtime, FALLBACK_DESCRIPTION, owner=OWNER)
    assert out["produced_by"] == "composed from building blocks" and "fallback_reason" not in out
    assert server.requests == []


def test_chat_with_an_llm_drafts_through_the_tool(tmp_path):
    """The agent's model calls the tool; the tool asks the same model for the draft; the answer
    turn sees which path produced the template."""
    name = "rust-axum-service"
    script = [
        {
            "tool_calls": [
                {
                    "name": "scaffolder_generate_template",
                    "args": {"description": "a Rust service with Axum", "name": name},
                }
            ]
        },
        {"content": envelope(good_files(name, owner="group:default/team-billing"))},
        {"content": "Drafted and checked rust-axum-service."},
    ]
    with ScriptedOpenAI(script) as server:
        runtime = llm_runtime(tmp_path, server.base_url)
        service = AgentService(runtime)
        result = service.ask(
            "write a template for a Rust service with Axum called rust-axum-service", service.principal("karim.nasser")
        )
    assert result.answer == "Drafted and checked rust-axum-service."
    assert [c["name"] for c in result.tool_calls] == ["scaffolder_generate_template"]
    assert "metadata.name: rust-axum-service" in server.requests[1]["messages"][0]["content"]
    tool_messages = [m for m in server.requests[2]["messages"] if m["role"] == "tool"]
    assert tool_messages and "drafted by openai-compatible:scripted" in tool_messages[0]["content"]
    assert templates_of(runtime).get(name) is not None


@pytest.mark.parametrize(
    ("description", "name", "expected"),
    [
        ("a Go gRPC service with Postgres", None, "go-grpc-postgres-service"),
        ("a Rust service with Axum", None, "rust-service-axum"),
        ("a Rust service with Axum", "edge", "edge"),
    ],
)
def test_suggested_names(description, name, expected):
    assert suggested_name(description, name) == expected


def test_envelopes_in_yaml_are_read_and_bad_ones_explained():
    parsed = parse_envelope("files:\n  - path: template.yaml\n    content: |\n      kind: Template\n")
    assert parsed.files[0].content == "kind: Template\n"
    with pytest.raises(GenerationError, match=r"envelope files: List should have at least 1 item"):
        parse_envelope('{"files": []}')
    with pytest.raises(GenerationError, match=r"envelope files\.0\.content: Field required"):
        parse_envelope('{"files": [{"path": "x"}]}')
