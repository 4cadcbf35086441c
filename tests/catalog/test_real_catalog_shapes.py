"""Shapes real catalogs have that the demo does not: details kept in annotations, links and nested
spec fields, domains reached through systems, counts, contact asks about teams, owner answers that
say what the entity is, and names that a one-letter change to a short word would make another."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.catalog.planloop import run_intent
from tests.support.catalog import catalog_runtime
from tools.catalog.fields import asked_fields, entity_fields
from tools.catalog.model import Entity

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Domain
metadata: {name: ledgers}
spec: {owner: team-books}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: bookkeeping}
spec: {owner: team-books, domain: ledgers}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: abacus
  description: Posts double-entry journal lines.
  annotations:
    tracker.example/project-key: ABX
    backstage.io/source-template: template:default/kotlin-service
  links:
    - {url: "https://ci.example.org/builds/abacus", title: CircleCI}
    - {url: "https://chat.example.org/archives/abacus-help", title: Slack help channel}
spec:
  type: service
  lifecycle: experimental
  owner: team-books
  system: bookkeeping
  pipeline: {notify: {slack: abacus-alerts}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: tally}
spec: {type: service, lifecycle: production, owner: team-books, system: bookkeeping}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: greeter}
spec: {type: grpc, lifecycle: production, owner: team-books, definition: "syntax = 'proto3';"}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: greeter-trpc}
spec: {type: trpc, lifecycle: experimental, owner: team-books, definition: "x"}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: speaker}
spec: {type: service, lifecycle: production, owner: team-books, providesApis: [greeter]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: abacus-parser}
spec: {type: library, lifecycle: production, owner: team-books, subcomponentOf: abacus, dependsOn: [component:tally]}
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: systems}
spec: {targets: [./none.yaml]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-books}
spec: {type: team, profile: {email: books@example.org}, children: [], members: [ann, bob]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: ann}
spec: {memberOf: [team-books]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: bob}
spec: {memberOf: [team-books]}
"""


@pytest.fixture()
def runtime(tmp_path: Path):
    (tmp_path / "catalog-info.yaml").write_text(CATALOG)
    return catalog_runtime(tmp_path)


def test_annotations_links_and_spec_fields_are_flattened():
    entity = Entity.from_dict(
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": "x", "annotations": {"a/b": "1"}, "links": [{"url": "https://h/x", "title": "T"}]},
            "spec": {"type": "service", "deep": {"list": [{"k": "v"}]}, "definition": "long"},
        }
    )
    paths = {f["path"]: f["value"] for f in entity_fields(entity)}
    assert paths == {"annotation a/b": "1", "link T": "https://h/x", "spec.deep.list[0].k": "v"}


def test_an_empty_mapping_or_list_keeps_its_key():
    """Buildkite's ``teams: {robots: {}}`` grants a team default access: the key is the fact."""
    entity = Entity.from_dict(
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Resource",
            "metadata": {"name": "pipeline"},
            "spec": {"type": "pipeline", "teams": {"robots": {}, "devs": {"access_level": "READ_ONLY"}}, "env": []},
        }
    )
    paths = {f["path"]: f["value"] for f in entity_fields(entity)}
    assert paths == {"spec.teams.robots": "{}", "spec.teams.devs.access_level": "READ_ONLY", "spec.env": "[]"}


def test_asked_fields_match_key_words_synonyms_and_link_hosts():
    fields = [
        {"path": "annotation tracker.example/project-key", "value": "ABX"},
        {"path": "link Builds", "value": "https://app.circleci.com/x"},
        {"path": "spec.owner", "value": "team"},
    ]
    assert [f["value"] for f in asked_fields("what's the project key of abacus?", fields, ["abacus"])] == ["ABX"]
    assert [f["value"] for f in asked_fields("where does its CI run?", fields, [])] == ["https://app.circleci.com/x"]
    assert asked_fields("who owns abacus?", fields, ["abacus"]) == []  # an ask word names no detail


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("what's the project key for abacus?", "ABX"),
        ("where does abacus's CI run?", "https://ci.example.org/builds/abacus"),
        ("which slack channel gets the abacus pipeline notifications?", "abacus-alerts"),
        ("which software template was abacus created from?", "template:default/kotlin-service"),
    ],
)
def test_describe_leads_with_the_detail_asked_for(runtime, question, fact):
    assert runtime.router.plain_intent(question).name == "catalog.describe"
    answer, _ = run_intent(runtime, "catalog.describe", question)
    assert answer.text.startswith("From its catalog entry:")
    assert fact in answer.text.split(" abacus (component:")[0]


def test_describe_names_the_domain_through_the_system(runtime):
    answer, _ = run_intent(runtime, "catalog.describe", "what domain is tally in?")
    assert "domain:default/ledgers" in answer.text


def test_a_group_has_its_email_in_a_description_and_an_email_ask(runtime):
    answer, _ = run_intent(runtime, "catalog.describe", "tell me about team-books")
    assert "books@example.org" in answer.text
    answer, _ = run_intent(runtime, "catalog.owner", "what's the email for team-books?")
    assert "books@example.org" in answer.text


def test_owner_answer_says_what_the_entity_is(runtime):
    answer, _ = run_intent(runtime, "catalog.owner", "who owns abacus and what is it for?")
    assert "team-books" in answer.text
    assert "experimental service" in answer.text and "double-entry" in answer.text


def test_how_many_counts_all_matches(runtime):
    question = "how many services are there in the ledgers domain?"
    assert runtime.router.plain_intent(question).name == "catalog.find"
    answer, _ = run_intent(runtime, "catalog.find", question)
    assert answer.text.startswith("There are 2 services")


def test_how_many_people_in_a_team_is_not_an_ownership_filter(runtime):
    state_answer, _ = run_intent(runtime, "catalog.find", "how many people are in team-books?")
    assert state_answer is None  # left to the group intent: a team owns no users


def test_a_short_word_is_not_a_typo_of_another_name(runtime):
    answer, _ = run_intent(runtime, "catalog.apis", "which component implements the greeter gRPC API?")
    assert "(api:default/greeter)" in answer.text and "speaker" in answer.text
    assert "greeter-trpc" not in answer.text


def test_lifecycle_and_contents_asks_are_recognised(runtime):
    router = runtime.router
    assert router.plain_intent("which of the bookkeeping components are still experimental?").name == "catalog.find"
    assert router.plain_intent("what systems are in it?").name == "catalog.system_contents"
    assert router.plain_intent("does it provide any API?").name == "catalog.apis"


def test_a_location_name_is_not_a_mention(runtime):
    assert runtime.catalog.find_mentions("what systems are in it?") == []
    answer, _ = run_intent(
        runtime, "catalog.system_contents", "what systems are in it?", focus=["domain:default/ledgers"]
    )
    assert "system:default/bookkeeping" in answer.text


def test_subcomponents_are_the_parts_of_a_component(runtime):
    question = "what are the subcomponents of abacus?"
    assert runtime.router.plain_intent(question).name == "catalog.system_contents"
    answer, _ = run_intent(runtime, "catalog.system_contents", question)
    assert "component:default/abacus-parser" in answer.text


def test_an_outage_asks_for_direct_dependents(runtime):
    question = "if tally has an outage, which services are directly hit?"
    assert runtime.router.plain_intent(question).name == "catalog.dependents"
    answer, _ = run_intent(runtime, "catalog.dependents", question)
    assert "component:default/abacus-parser" in answer.text
