"""Questions about templates, answered from the templates themselves through the whole agent (service,
offline planner, tools) with only templates configured — as a new user pointing portal-agent at their
templates would. A question is never a scaffolder run: no draft, no dry run, no approval.

Two small templates written here cover the shapes (nested object properties, enums, defaults, hosts,
a secret, fetch:plain, publish:gitlab); the real Backstage templates under ``../shared/fixtures`` are
checked against figures computed independently from their YAML.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from agent.runtime import Runtime
from agent.service import AgentService
from contract.settings import SOURCE_FIELDS, Settings
from tests.support.scaffolder import SOFTWARE_TEMPLATES

ALPHA = """\
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: alpha-service
  title: Alpha Service
  description: Create a Kotlin service published to GitLab
  tags: [kotlin, recommended]
spec:
  owner: group:default/team-alpha
  type: service
  parameters:
    - title: Basics
      required: [name, owner]
      properties:
        name: {title: Name, type: string}
        owner: {title: Owner, type: string, ui:field: OwnerPicker}
        description: {title: Description, type: string}
        mode: {title: Mode, type: string, enum: [light, dark], default: dark}
        buildArgs:
          title: Build arguments
          type: object
          required: [flavour]
          properties:
            flavour: {title: Flavour, type: string, enum: [jvm, native]}
            skipTests: {title: Skip tests, type: boolean, default: false}
    - title: Location
      required: [repoUrl]
      properties:
        repoUrl:
          title: Repository
          type: string
          ui:field: RepoUrlPicker
          ui:options:
            allowedHosts: [gitlab.example.org]
            requestUserCredentials: {secretsKey: ALPHA_TOKEN}
  steps:
    - id: fetch
      action: fetch:template
      input: {url: ./skeleton}
    - id: extras
      action: fetch:plain
      input: {url: https://example.org/extras, targetPath: ./extras}
    - id: publish
      action: publish:gitlab
      input: {repoUrl: "${{ parameters.repoUrl }}", token: "${{ secrets.ALPHA_TOKEN }}"}
  output:
    links:
      - title: Open the project
        url: ${{ steps.publish.output.remoteUrl }}
"""
BETA = """\
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: beta-site
  title: Beta Site
  description: A static website
spec:
  owner: group:default/team-beta
  type: website
  parameters:
    - title: Basics
      required: [name]
      properties:
        name: {title: Name, type: string}
  steps:
    - id: fetch
      action: fetch:template
      input: {url: ./skeleton}
    - id: publish
      action: publish:github
      input: {repoUrl: "${{ parameters.repoUrl }}"}
    - id: register
      action: catalog:register
      input: {catalogInfoPath: /catalog-info.yaml}
"""


def templates_service(data_dir: Path, *paths: Path) -> AgentService:
    """Only templates configured: no demo, no catalog, no docs (as the blind eval set runs)."""
    blank = {name: None if name == "opencost_url" else [] for name in (*SOURCE_FIELDS, "github_discovery")}
    settings = Settings(**{**blank, "templates": [str(p) for p in paths]}, demo=False, data_dir=data_dir)
    return AgentService(Runtime(settings))


@pytest.fixture
def small(tmp_path) -> AgentService:
    root = tmp_path / "templates"
    for name, text in (("alpha", ALPHA), ("beta", BETA)):
        (root / name).mkdir(parents=True)
        (root / name / "template.yaml").write_text(text, encoding="utf-8")
    return templates_service(tmp_path / "data", root)


def ask(service: AgentService, question: str, thread: str | None = None):
    me = service.principal(service.runtime.settings.default_user, via="api")
    return service.ask(question, me, thread_id=thread)


def tools(turn) -> list[str]:
    return [c["name"] for c in turn.tool_calls]


def test_a_question_naming_a_template_is_answered_without_starting_a_run(small):
    turn = ask(small, "is description mandatory in the alpha service template? what do I have to fill in?")
    assert set(tools(turn)) == {"scaffolder_describe_template"} and turn.interrupt is None
    assert '- `description` "Description" (string, optional)' in turn.answer
    assert "Required: `name`, `owner`, `buildArgs.flavour`, `repoUrl`." in turn.answer


def test_nested_properties_enums_and_defaults_are_quoted_verbatim(small):
    nested = ask(small, "What options are under buildArgs?")  # a field key alone names the template
    assert tools(nested) == ["scaffolder_describe_template"]
    assert "properties `flavour`, `skipTests`" in nested.answer
    values = ask(small, "which flavours can I pick in the alpha template?")
    assert '`buildArgs.flavour` "Flavour" (string, required, one of `jvm`, `native`)' in values.answer
    default = ask(small, "in the alpha template, what is mode set to by default?")
    assert "default `dark`" in default.answer and "one of `light`, `dark`" in default.answer


def test_hosts_secrets_steps_and_links_come_from_the_template(small):
    turn = ask(small, "which hosts does the alpha template allow and what secret does it use?")
    assert "Allowed hosts: `gitlab.example.org`." in turn.answer and "Secrets used: `ALPHA_TOKEN`." in turn.answer
    steps = ask(small, "where does the alpha template fetch extras from with fetch:plain?")
    assert "- extras: `fetch:plain` (url: `https://example.org/extras`; targetPath: `./extras`)" in steps.answer
    links = ask(small, "what output links does the alpha template give at the end?")
    assert "- Open the project: `${{ steps.publish.output.remoteUrl }}`" in links.answer


def test_follow_ups_refer_to_the_last_template(small):
    first = ask(small, "What fields does the Beta Site template ask for?")
    again = ask(small, "and which of those are required?", thread=first.thread_id)
    assert "Required: `name`." in again.answer and "beta-site" in again.answer
    assert "alpha" not in again.answer.lower()
    steps = ask(small, "how many steps is that?", thread=again.thread_id)
    assert "Steps (3):" in steps.answer


def test_questions_across_templates_filter_count_and_break_down(small):
    gitlab = ask(small, "which templates use publish:gitlab?")
    assert tools(gitlab) == ["scaffolder_list_templates"] and gitlab.tool_calls[0]["args"] == {"detail": True}
    assert gitlab.answer.startswith("1 of the 2 templates use `publish:gitlab`:")
    assert gitlab.answer.index("alpha-service") < gitlab.answer.index("The other 1:") < gitlab.answer.index("beta")
    unregistered = ask(small, "which templates do not use catalog:register?")
    assert unregistered.answer.startswith("1 of the 2 templates do not use `catalog:register`:")
    by_type = ask(small, "break the templates down by type")
    assert "- `service`: 1 (`alpha-service`)" in by_type.answer and "- `website`: 1 (`beta-site`)" in by_type.answer
    tagged = ask(small, "which templates are tagged kotlin?")
    assert "1 of the 2 templates are tagged `kotlin`" in tagged.answer and "beta-site" not in tagged.answer
    untagged = ask(small, "which templates don't have any tags?")
    assert "1 of the 2 templates have no tags" in untagged.answer and "Beta Site" in untagged.answer
    owned = ask(small, "which templates are owned by group:default/team-beta?")
    assert "1 of the 2 templates are owned by `group:default/team-beta`" in owned.answer


def test_which_template_fits_a_need(small):
    turn = ask(small, "is there a template for a kotlin service on gitlab?")
    assert "the best fit is:" in turn.answer and "alpha-service" in turn.answer and "beta-site" not in turn.answer


def test_orders_still_run_the_scaffolder(small):
    turn = ask(small, "create a new service called gamma-api from the alpha-service template")
    assert tools(turn)[0] == "scaffolder_fill"


# --- the real Backstage templates, against figures computed from their YAML --------------------------
REAL = sorted(SOFTWARE_TEMPLATES.glob("*/template.yaml")) if SOFTWARE_TEMPLATES.is_dir() else []
needs_real = pytest.mark.skipif(not REAL, reason="../shared/fixtures/backstage/backstage__software-templates absent")


def _docs() -> list[dict]:
    return [
        next(d for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d and d.get("kind") == "Template")
        for p in REAL
    ]


def _required(doc: dict) -> list[str]:
    out: list[str] = []

    def walk(schema: dict, prefix: str) -> None:
        for name, prop in (schema.get("properties") or {}).items():
            if name in (schema.get("required") or []):
                out.append(prefix + name)
            if isinstance(prop, dict) and "properties" in prop:
                walk(prop, f"{prefix}{name}.")

    pages = doc["spec"].get("parameters") or []
    for page in pages if isinstance(pages, list) else [pages]:
        walk(page, "")
    return out


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> AgentService:
    return templates_service(tmp_path_factory.mktemp("data"), SOFTWARE_TEMPLATES)


@needs_real
def test_real_counts_by_action_match_the_yaml(real):
    docs = _docs()
    used = Counter(a for d in docs for a in {s["action"] for s in d["spec"]["steps"]})
    for action, count in used.items():
        turn = ask(real, f"how many templates use {action}?")
        assert turn.answer.startswith(f"{count} of the {len(docs)} templates use `{action}`:"), action


@needs_real
def test_real_breakdown_by_type_matches_the_yaml(real):
    docs = _docs()
    turn = ask(real, "Break the templates down by spec.type for me – how many of each?")
    for kind, count in Counter(d["spec"]["type"] for d in docs).items():
        assert f"- `{kind}`: {count} (" in turn.answer


@needs_real
def test_real_required_fields_and_owners_match_the_yaml(real):
    for doc in _docs():
        name = doc["metadata"]["name"]
        turn = ask(real, f"which parameters of the {name} template are required?")
        assert tools(turn) == ["scaffolder_describe_template"] and turn.interrupt is None, name
        assert "Required: " + ", ".join(f"`{n}`" for n in _required(doc)) + "." in turn.answer, name
        owner = ask(real, f"who owns the {name} template?")
        assert f"Owner: `{doc['spec']['owner']}`." in owner.answer, name
