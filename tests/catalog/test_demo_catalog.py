"""The embedded demo organisation's catalog: loads cleanly, resolves every reference, and answers."""

from __future__ import annotations

import pytest

from contract.principal import Principal
from tests.catalog.planloop import run_intent
from tests.support.catalog import catalog_runtime, require_demo_catalog
from tools.catalog.loader import load_paths
from tools.catalog.sources import load_catalog_from
from tools.catalog.validate import validate_path


@pytest.fixture(scope="module")
def demo():
    return require_demo_catalog()


@pytest.fixture(scope="module")
def store(demo):
    return load_catalog_from([str(demo)])


def test_demo_loads_without_problems_and_the_root_location_reaches_everything(demo, store):
    assert store.errors == [] and validate_path(demo) == []
    via_root = load_paths([demo / "all.yaml"])
    assert sorted(e.ref for e in via_root.entities) == sorted(e.ref for e in store.all())


def test_demo_has_the_promised_shape(store):
    components = store.all("component")
    owners = {store.owner_of(c.ref) for c in components}
    assert len(components) >= 25 and len(owners) >= 5
    assert store.all("system") and store.all("domain") and store.all("api") and store.all("resource")
    assert all(u.email for u in store.all("user"))
    assert all(api.spec.get("definition") for api in store.all("api"))


def test_every_owner_and_oncall_resolves_to_loaded_entities(store):
    for entity in store.all():
        owner = store.owner_of(entity.ref)
        if owner:
            assert store.get(owner) is not None, (entity.ref, owner)
        for user in store.oncall_of(entity.ref):
            assert store.get(user, "user").kind == "User", (entity.ref, user)
    teams = [g for g in store.all("group") if g.type == "team"]
    assert teams and all(store.oncall_of(g.ref) for g in teams)


def test_every_entity_name_is_found_in_a_sentence(store):
    for entity in store.all():
        if entity.kind_lower == "location":
            continue
        for text in (entity.name, entity.name.replace("-", " ")):
            mentions = store.find_mentions(f"tell me about {text} please")
            assert mentions and mentions[0].ref == entity.ref, (text, mentions)


def test_team_phrases_resolve_to_groups(store):
    for group in store.all("group"):
        if not group.name.startswith("team-"):
            continue
        phrase = f"who is in the {group.name.removeprefix('team-').replace('-', ' ')} team?"
        assert [m.ref for m in store.find_mentions(phrase, kinds=["group"])] == [group.ref], phrase


def test_intents_answer_over_the_demo(demo, store):
    runtime = catalog_runtime(demo)
    component = next(c for c in store.all("component") if store.dependents(c.ref))
    answer, _ = run_intent(runtime, "catalog.owner", f"who owns {component.name}?")
    owner = store.owner_of(component.ref)
    assert answer.text.startswith(f"{component.name} ({component.ref}) is owned by") and owner in answer.text
    blast, _ = run_intent(runtime, "catalog.dependents", f"what breaks if {component.name} goes down?")
    for item in store.dependents(component.ref, transitive=True)[:5]:
        assert item["ref"] in blast.text
    user = next(u for u in store.all("user") if store.groups_of(u.ref))
    mine, _ = run_intent(
        runtime, "catalog.group", "which teams am I in?", principal=Principal(ref=user.ref, via="test")
    )
    assert store.groups_of(user.ref)[0] in mine.text
