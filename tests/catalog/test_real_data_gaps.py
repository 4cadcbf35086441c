"""What real catalogs (tests/catalog's small YAML copies of their shapes) needed from the tools:
kinds outside the core set, systems named but not defined, namespaced refs, a group's e-mail or
its parent's, the whole group tree, lifecycle counts, labels, AsyncAPI servers, APIs in
spec.dependsOn, and an entity's namesakes (a repository's Buildkite pipeline Resources)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.principal import Principal
from contract.tooling import ToolContext
from tests.catalog.planloop import run_intent
from tests.support.catalog import catalog_runtime
from tests.support.catalog import entity_doc as _doc
from tools.catalog import namesakes
from tools.catalog.definitions import summarize_definition
from tools.catalog.fields import entity_fields
from tools.catalog.model import Entity
from tools.catalog.sources import load_catalog_from

CATALOG = "".join(
    [
        _doc("Group", "org", "  type: organization\n  children: [dept]\n  profile: {email: org@example.com}\n"),
        _doc("Group", "dept", "  type: department\n  parent: org\n  children: [team-a, team-b]\n"),
        _doc("Group", "team-a", "  type: team\n  parent: dept\n  children: []\n"),
        _doc("Group", "team-b", "  type: team\n  parent: dept\n  children: []\n"),
        _doc("User", "ann", "  memberOf: [team-a]\n"),
        _doc("User", "bob", "  memberOf: [team-a]\n"),
        _doc("User", "cid", "  memberOf: [team-b]\n"),
        _doc("Domain", "shop", "  owner: team-a\n"),
        _doc("System", "web", "  owner: team-a\n  domain: shop\n"),
        _doc("System", "back", "  owner: team-b\n  domain: shop\n"),
        _doc(
            "Component",
            "front",
            "  type: website\n  lifecycle: experimental\n  owner: team-a\n  system: web\n  dependsOn: [api:llm-api]\n",
            "  labels: {goVersion: go1.15.3}\n",
        ),
        _doc("Component", "cart", "  type: service\n  lifecycle: experimental\n  owner: team-a\n  system: web\n"),
        _doc("Component", "orders", "  type: service\n  lifecycle: production\n  owner: team-b\n  system: back\n"),
        _doc(
            "API",
            "llm-api",
            "  type: openapi\n  lifecycle: production\n  owner: team-b\n  definition: 'openapi: 3.0.0'\n",
        ),
        _doc("AiResource", "design-skill", "  type: skill\n  lifecycle: production\n  owner: team-a\n  system: web\n"),
        # Named in spec.system, defined nowhere (as LedgerHQ's ledger-device-management-kit).
        _doc("Component", "kit-core", "  type: library\n  lifecycle: production\n  owner: team-b\n  system: kit\n"),
        _doc("Component", "kit-signer", "  type: library\n  lifecycle: production\n  owner: team-b\n  system: kit\n"),
        # A repository's Component and the Buildkite pipelines registered for it (as Elastic's).
        _doc("Component", "apm", "  type: tool\n  lifecycle: production\n  owner: team-b\n"),
        _doc(
            "Resource",
            "buildkite-pipeline-apm-package",
            "  type: buildkite-pipeline\n  owner: team-b\n"
            "  implementation:\n    spec:\n      pipeline_file: .buildkite/package.yml\n",
            "  description: Buildkite Pipeline for packaging apm\n",
        ),
        _doc(
            "Resource",
            "apm",
            "  type: buildkite-pipeline\n  owner: team-b\n"
            "  implementation:\n    spec:\n      env: {SLACK_NOTIFICATIONS_CHANNEL: '#apm-notify'}\n",
            "  description: apm integration tests\n",
        ),
    ]
)
OTHER_NAMESPACE = _doc("Domain", "sre", "  owner: team-a\n", "  namespace: ops\n")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    root: Path = tmp_path_factory.mktemp("real-shapes")
    (root / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    (root / "ops.yaml").write_text(OTHER_NAMESPACE, encoding="utf-8")
    return catalog_runtime(root)


def _run(runtime, tool: str, **args):
    ctx = ToolContext(runtime=runtime, principal=Principal(ref="user:default/guest", via="test"))
    return runtime.tools[tool].run(args, ctx)


def test_a_kind_outside_the_core_set_is_part_of_its_system_and_owned(runtime):
    result = _run(runtime, "catalog_system_contents", ref="web")
    assert [p["ref"] for p in result.data["contents"]["airesource"]] == ["airesource:default/design-skill"]
    owned = _run(runtime, "catalog_owned_by", ref="team-a").data["owned"]
    assert "airesource:default/design-skill" in [row["ref"] for row in owned["airesource"]]


def test_a_system_named_but_not_defined_lists_the_entities_that_name_it(runtime):
    result = _run(runtime, "catalog_system_contents", ref="kit")
    assert result.ok and result.data["defined"] is False
    assert [p["ref"] for p in result.data["contents"]["component"]] == [
        "component:default/kit-core",
        "component:default/kit-signer",
    ]
    assert "not defined in the catalog" in result.note
    # The planner reaches it although the mention index only knows defined entities.
    answer, _ = run_intent(runtime, "catalog.system_contents", "what components make up the kit system?")
    assert "kit-core" in answer.text and "not defined in the catalog" in answer.text
    # A name nothing refers to still fails with suggestions.
    assert not _run(runtime, "catalog_system_contents", ref="nothing-like-it").ok


def test_kind_and_name_find_the_one_entity_of_that_kind_in_another_namespace(runtime):
    assert _run(runtime, "catalog_system_contents", ref="domain:sre").data["entity"]["ref"] == "domain:ops/sre"
    assert runtime.catalog.get("domain:ops/sre") is not None
    assert runtime.catalog.get("domain:default/sre") is None  # an explicit namespace is kept


def test_two_same_named_entities_in_other_namespaces_are_not_guessed(tmp_path):
    (tmp_path / "a.yaml").write_text(
        _doc("Domain", "sre", "  owner: x\n", "  namespace: ops\n")
        + _doc("Domain", "sre", "  owner: x\n", "  namespace: dev\n")
    )
    assert load_catalog_from([str(tmp_path)]).get("domain:sre") is None


def test_group_hierarchy_shows_the_whole_tree_and_the_nearest_parent_email(runtime):
    top = _run(runtime, "catalog_group_hierarchy", ref="org").data
    assert top["children"] == ["group:default/dept"]
    assert [(d["ref"], d["parent"]) for d in top["descendants"]] == [
        ("group:default/team-a", "group:default/dept"),
        ("group:default/team-b", "group:default/dept"),
    ]
    dept = _run(runtime, "catalog_group_hierarchy", ref="dept").data
    assert dept["nearest_parent_email"] == {"ref": "group:default/org", "email": "org@example.com"}
    assert "nearest_parent_email" not in top  # it has its own
    answer, _ = run_intent(runtime, "catalog.group", "show me the group hierarchy under org")
    assert "team-a" in answer.text and "team-b" in answer.text


def test_owner_of_a_group_without_email_gives_its_parents(runtime):
    owner = _run(runtime, "catalog_owner", ref="group:dept").data["owner"]
    assert owner["nearest_parent_email"]["email"] == "org@example.com"
    answer, _ = run_intent(runtime, "catalog.owner", "what's the email of the dept group?")
    assert "org@example.com" in answer.text and "no e-mail of its own" in answer.text


def test_lifecycle_counts_per_kind_and_a_domains_totals_through_its_systems(runtime):
    system = _run(runtime, "catalog_get_entity", ref="system:web").data
    assert system["parts_by_lifecycle"] == {"airesource": {"production": 1}, "component": {"experimental": 2}}
    domain = _run(runtime, "catalog_system_contents", ref="domain:shop").data
    assert domain["in_its_systems"] == {"airesource": 1, "component": 3}


def test_labels_are_fields_a_question_can_ask_for(runtime):
    entity = runtime.catalog.get("front")
    assert {"path": "label goVersion", "value": "go1.15.3"} in entity_fields(entity)


def test_an_api_named_in_depends_on_is_a_dependency(runtime):
    items = _run(runtime, "catalog_dependencies", ref="front").data["items"]
    assert [(i["ref"], i["via"]) for i in items] == [("api:default/llm-api", ["dependsOn"])]


def test_group_search_results_carry_member_counts_and_a_ranking_ask_gets_them_ranked(runtime):
    rows = _run(runtime, "catalog_search", kind="group", type="team").data["results"]
    assert {r["name"]: r["member_count"] for r in rows} == {"team-a": 2, "team-b": 1}
    answer, _ = run_intent(runtime, "catalog.find", "which team has the fewest members?")
    assert "By direct members: team-a 2, team-b 1." in answer.text


def test_a_ranking_ask_over_a_listing_counts_by_owner(runtime):
    answer, _ = run_intent(runtime, "catalog.find", "which team owns the most components?")
    assert "By owner: team-b 4, team-a 2." in answer.text


def test_asyncapi_servers_and_their_port_choices_are_summarised():
    definition = (
        "asyncapi: 2.0.0\ninfo: {title: Lights, version: 1.0.0}\nservers:\n  production:\n"
        "    url: broker.example.com:{port}\n    protocol: mqtt\n"
        "    variables:\n      port: {default: '1883', enum: ['1883', '8883']}\n"
    )
    summary = summarize_definition("asyncapi", definition)
    assert summary["servers"] == [
        {
            "url": "broker.example.com:{port}",
            "name": "production",
            "protocol": "mqtt",
            "variables": {"port": ["1883", "8883"]},
        }
    ]


def test_the_question_words_pick_the_namesake_it_is_about(runtime):
    store = runtime.catalog
    # "integration tests" and "slack channel" are what the pipeline Resource of the same name says.
    picked = namesakes.best_fit(
        store,
        "component:default/apm",
        ["resource:default/apm"],
        "what slack channel do the apm integration tests notify?",
        "apm",
    )
    assert picked == "resource:default/apm"
    # "packaging pipeline" is the pipeline named after it.
    picked = namesakes.best_fit(
        store, "component:default/apm", [], "which file does the apm packaging pipeline run?", "apm"
    )
    assert picked == "resource:default/buildkite-pipeline-apm-package"
    # A question with nothing else to say keeps the entity the name found.
    assert namesakes.best_fit(store, "component:default/apm", ["resource:default/apm"], "what is apm?", "apm") is None
    answer, _ = run_intent(runtime, "catalog.describe", "which pipeline file does the apm packaging pipeline run?")
    assert (
        ".buildkite/package.yml" in answer.text and "fit resource:default/buildkite-pipeline-apm-package" in answer.text
    )


def test_an_owner_answer_lists_the_namesakes_the_question_asks_about(runtime):
    answer, _ = run_intent(
        runtime, "catalog.owner", "who owns apm, and what buildkite pipelines are registered for it?"
    )
    assert "Named after it in the catalog" in answer.text and "buildkite-pipeline-apm-package" in answer.text
    plain, _ = run_intent(runtime, "catalog.owner", "who owns apm?")
    assert "Named after it" not in plain.text


def test_namesakes_need_the_name_as_whole_words():
    def entity(kind: str, name: str) -> Entity:
        return Entity.from_dict({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}, "spec": {}})

    class Store:
        def all(self):
            return [
                entity("Component", "ecs"),
                entity("Resource", "buildkite-pipeline-ecs"),
                entity("Component", "decsion"),
            ]

    assert [e.name for e in namesakes.namesakes(Store(), entity("Component", "ecs"))] == ["buildkite-pipeline-ecs"]


def test_a_question_naming_an_entity_and_one_of_its_fields_is_a_describe_ask(runtime):
    from tools.catalog.intents import names_entity_detail

    assert names_entity_detail(runtime, "which go version does front use?")  # label goVersion
    assert names_entity_detail(runtime, "what slack channel do the apm integration tests notify?")
    assert not names_entity_detail(runtime, "what is front?")  # no detail: the describe patterns decide
    assert not names_entity_detail(runtime, "deploy front now")  # not a question


def test_title_variants_separated_by_a_bar_are_names(tmp_path):
    (tmp_path / "c.yaml").write_text(
        _doc(
            "Component",
            "notification-api-service",
            "  type: service\n  lifecycle: production\n  owner: notify-dev\n  system: gc-notification\n",
            "  title: GC Notify API | GC Notification API\n",
        )
    )
    store = load_catalog_from([str(tmp_path)])
    (mention,) = store.find_mentions("who is responsible for the GC Notify API?")
    assert mention.ref == "component:default/notification-api-service"
    owner_answer, _ = run_intent(catalog_runtime(tmp_path), "catalog.owner", "who owns the GC Notify API?")
    assert "notify-dev" in owner_answer.text and "gc-notification" in owner_answer.text  # and its system


def test_an_api_definition_not_loaded_is_a_field_saying_where_it_is(tmp_path):
    (tmp_path / "a.yaml").write_text(
        _doc(
            "API",
            "home",
            "  type: openapi\n  lifecycle: production\n  owner: x\n"
            "  definition:\n    $text: https://example.com/openapi.yaml\n",
        )
    )
    entity = load_catalog_from([str(tmp_path)]).get("api:home")
    assert {"path": "spec.definition text", "value": "https://example.com/openapi.yaml"} in entity_fields(entity)
