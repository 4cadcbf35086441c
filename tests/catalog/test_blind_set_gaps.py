"""Catalog behaviours the blind eval sets over real catalogs found missing: what a group and the
groups below it own, a gRPC definition's services, "our" listings that find nothing for the
asker's team, a detail asked after "who owns X", every entry of a mapping the question matches,
and contact and member questions that read like other asks."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.principal import Principal
from tests.catalog.planloop import run_intent
from tests.support.catalog import catalog_runtime
from tests.support.catalog import entity_doc as _doc
from tools.catalog.fields import asked_fields, covers, entity_fields

GRPC = "syntax = 'proto3';\\nservice Greeter {\\n  rpc SayHello (HelloRequest) returns (HelloReply) {}\\n}\\n"
CATALOG = "".join(
    [
        _doc("Group", "dept", "  type: department\n  children: [team-x, team-y]\n"),
        _doc("Group", "team-x", "  type: team\n  parent: dept\n  children: []\n  profile: {email: x@example.com}\n"),
        _doc("Group", "team-y", "  type: team\n  parent: dept\n  children: []\n"),
        _doc("User", "una", "  memberOf: [team-x]\n"),
        _doc("User", "vic", "  memberOf: [team-y]\n"),
        _doc("User", "wes", "  memberOf: [team-y]\n"),
        _doc("System", "radio", "  owner: team-x\n"),
        _doc(
            "Component",
            "tuner",
            "  type: service\n  lifecycle: production\n  owner: team-y\n  system: radio\n  providesApis: [greeter]\n",
        ),
        _doc(
            "Component",
            "shuffle-api",
            "  type: service\n  lifecycle: production\n  owner: team-x\n",
            "  labels: {goVersion: go1.15.3}\n",
        ),
        _doc("API", "greeter", f'  type: grpc\n  lifecycle: deprecated\n  owner: team-y\n  definition: "{GRPC}"\n'),
        _doc(
            "API",
            "home",
            "  type: openapi\n  lifecycle: production\n  owner: una\n"
            "  definition:\n    $text: https://example.com/openapi.yaml\n",
        ),
        _doc(
            "API",
            "lights",
            "  type: asyncapi\n  lifecycle: production\n  owner: team-x\n  definition: |\n"
            "    asyncapi: 2.0.0\n    info: {title: Lights, version: 1.0.0}\n    servers:\n"
            "      production:\n        url: 'broker.example.com:{port}'\n        protocol: mqtt\n"
            "        variables: {port: {enum: ['1883', '8883']}}\n",
        ),
        _doc(
            "Resource",
            "release-pipeline",
            "  type: buildkite-pipeline\n  owner: team-x\n  implementation:\n    spec:\n      teams:\n"
            "        team-x: {}\n        robots: {}\n"
            "        artifact-management: {access_level: BUILD_AND_READ}\n"
            "        everyone: {access_level: READ_ONLY}\n",
        ),
    ]
)
UNA = Principal(ref="user:default/una", via="test")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    root: Path = tmp_path_factory.mktemp("blind-gaps")
    (root / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    return catalog_runtime(root)


def test_what_the_teams_under_a_group_own_includes_the_sub_groups(runtime):
    question = "across the teams under dept, which components and systems do we own?"
    assert runtime.router.plain_intent(question).name == "catalog.owned_by"
    answer, state = run_intent(runtime, "catalog.owned_by", question, principal=UNA)
    assert state.results[0].args == {"ref": "group:default/dept", "include_children": True}
    assert "tuner" in answer.text and "radio" in answer.text
    direct, state = run_intent(runtime, "catalog.owned_by", "what does dept own?")
    assert state.results[0].args["include_children"] is False
    assert direct.text.startswith("Nothing in the catalog is owned by dept")


def test_a_grpc_definition_names_its_services_and_rpcs(runtime):
    question = "in the greeter grpc api, what's the service called and what rpc does it have?"
    assert runtime.router.plain_intent(question).name == "catalog.apis"
    answer, _ = run_intent(runtime, "catalog.apis", question)
    assert "services Greeter; rpcs SayHello" in answer.text


def test_an_api_suffix_in_a_name_is_not_an_apis_ask(runtime):
    question = "what Go version does shuffle-api use?"
    assert runtime.router.plain_intent(question).name == "catalog.describe"
    answer, _ = run_intent(runtime, "catalog.describe", question)
    assert "label goVersion = go1.15.3" in answer.text


def test_an_our_listing_that_finds_nothing_for_the_team_widens_to_the_catalog(runtime):
    answer, state = run_intent(runtime, "catalog.find", "Are any of our APIs deprecated?", principal=UNA)
    assert state.results[0].args["owner"] == "group:default/team-x"
    assert "owner" not in state.results[1].args
    assert answer.text.startswith("I found no deprecated APIs owned by team-x")
    assert "Across the whole catalog: Found 1 match (deprecated APIs): greeter (api:default/greeter)" in answer.text
    ours, state = run_intent(runtime, "catalog.find", "show me our services", principal=UNA)
    assert len(state.results) == 1 and "shuffle-api" in ours.text  # found some: stays the team's


def test_an_owner_answer_adds_the_detail_the_question_also_asks_for(runtime):
    answer, _ = run_intent(runtime, "catalog.owner", "who owns the home API and where's its spec?")
    assert "spec.definition text = https://example.com/openapi.yaml" in answer.text
    plain, _ = run_intent(runtime, "catalog.owner", "who owns the home API?")
    assert "From its catalog entry" not in plain.text
    assert runtime.router.plain_intent("where's its spec?").name == "catalog.describe"


def test_a_spec_follow_up_describes_the_defined_entity_in_focus(runtime):
    focus = ["api:default/home", "user:default/nobody"]
    answer, state = run_intent(runtime, "catalog.describe", "where's its spec?", focus=focus)
    assert [s.args["ref"] for s in state.results] == ["api:default/home"]
    assert "https://example.com/openapi.yaml" in answer.text


def test_every_entry_of_a_matched_mapping_is_given(runtime):
    fields = entity_fields(runtime.catalog.get("resource:release-pipeline"))
    asked = asked_fields("which teams have access to the release pipeline?", fields, ["release-pipeline"])
    teams = [f["path"].rsplit("teams.", 1)[-1] for f in asked]
    assert teams == ["artifact-management.access_level", "everyone.access_level", "team-x", "robots"]
    one = asked_fields("what access level does artifact-management get?", fields, ["release-pipeline"])
    assert one[0]["value"] == "BUILD_AND_READ"


def test_words_naming_a_field_of_the_entity_in_focus_are_about_it(runtime):
    fields = entity_fields(runtime.catalog.get("resource:release-pipeline"))
    assert covers("access artifact-management", fields)
    assert not covers("access", fields)  # one word alone may be about another entity
    answer, state = run_intent(
        runtime,
        "catalog.describe",
        "what access does artifact-management get?",
        focus=["resource:default/release-pipeline"],
    )
    assert state.results[0].args["ref"] == "resource:default/release-pipeline"
    assert "artifact-management.access_level = BUILD_AND_READ" in answer.text


def test_contact_and_member_questions_go_to_the_catalog(runtime):
    router = runtime.router
    assert router.plain_intent("how do I reach team-x by email?").name == "catalog.owner"
    answer, _ = run_intent(runtime, "catalog.owner", "how do I reach team-x by email?")
    assert "x@example.com" in answer.text
    assert router.plain_intent("How many people are in team-y and who are they?").name == "catalog.group"
    assert router.plain_intent("how many people are in the catalog?").name == "catalog.find"


def test_a_listing_of_apis_lacking_a_provider_or_consumer(runtime):
    question = "Are there any APIs in the catalog that no component provides?"
    assert run_intent(runtime, "catalog.apis", question)[0] is None  # a listing, not one API's
    answer, state = run_intent(runtime, "catalog.find", question)
    assert state.results[0].args == {"limit": 25, "kind": "api", "lacking": "provider"}
    assert answer.text.startswith("Found 2 APIs that no component provides: home (api:default/home)")
    assert "greeter" not in answer.text  # tuner provides it
    unused, _ = run_intent(runtime, "catalog.find", "which apis does nothing consume?")
    assert "APIs that nothing consumes" in unused.text
    _, state = run_intent(runtime, "catalog.find", "which apis doesn't tuner consume?")
    assert all("lacking" not in step.args for step in state.results)  # about tuner, not the catalog's
    components = run_intent(runtime, "catalog.find", "which components does no one use?")[0]
    assert components is None  # no listing says which components nothing depends on


def test_which_ports_reach_a_broker_is_its_apis_servers(runtime):
    question = "which ports can I use to connect to the lights MQTT broker?"
    assert runtime.router.plain_intent(question).name == "catalog.apis"
    answer, _ = run_intent(runtime, "catalog.apis", question)
    assert "port: 1883, 8883" in answer.text
    assert run_intent(runtime, "catalog.apis", "which ports does the tuner component listen on?")[0] is None
