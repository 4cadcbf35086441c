"""The Backstage REST source against a local stand-in serving cursor pages behind a bearer token."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from contract.settings import Settings
from tests.catalog.standins import StandIn, backstage_handler
from tests.support.catalog import DATA
from tools.catalog.sources import load_catalog_from
from tools.catalog.sources.backstage_api import BackstageError, entities_endpoint, fetch_entities

TOKEN = "s3cret-token-value"


def _entities() -> list[dict]:
    docs = []
    for file in sorted((DATA / "basic").rglob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(file.read_text()) if isinstance(d, dict) and "kind" in d]
    for i, doc in enumerate(docs):
        if doc["kind"] == "API" and isinstance(doc["spec"].get("definition"), dict):
            doc["spec"]["definition"] = "openapi: 3.0.0\ninfo: {title: Checkout API, version: 1.0.0}\n"
        doc["metadata"]["uid"] = f"uid-{i}"
        doc["metadata"]["etag"] = f"etag-{i}"
    # Backstage returns stored relations; one custom relation must survive our recomputation.
    docs[0].setdefault("relations", []).append(
        {
            "type": "ownedBy",
            "targetRef": "group:default/engineering",
            "target": {"kind": "group", "namespace": "default", "name": "engineering"},
        }
    )
    return docs


def test_endpoint_from_base_urls():
    assert entities_endpoint("https://bs.example.com") == "https://bs.example.com/api/catalog/entities/by-query"
    assert (
        entities_endpoint("https://bs.example.com/api/catalog/")
        == "https://bs.example.com/api/catalog/entities/by-query"
    )


def test_fetch_all_pages_with_cursor_and_bearer_token():
    served = _entities()
    with StandIn(backstage_handler(served, TOKEN)) as server:
        result = fetch_entities(server.url, TOKEN, page_size=4)
    assert [e.name for e in result.entities] == [d["metadata"]["name"] for d in served]
    pages = len(served) // 4 + (1 if len(served) % 4 else 0)
    assert len(server.requests) == pages
    first, *rest = server.requests
    assert first.query == {"limit": ["4"]}
    assert all(set(r.query) == {"cursor"} for r in rest)  # follow-up pages carry only the cursor
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)
    assert result.entities[0].source_path.startswith(server.url + "/catalog/default/location/")
    assert result.errors == []


def test_store_from_backstage_url_keeps_server_relations_and_computes_the_rest():
    with StandIn(backstage_handler(_entities(), TOKEN)) as server:
        store = load_catalog_from([server.url], Settings(backstage_token=SecretStr(TOKEN)))
    assert len(store) == 22 and store.errors == []
    assert store.owner_of("checkout") == "group:default/team-checkout"
    assert store.related("location:test-catalog", "ownedBy") == ["group:default/engineering"]
    assert "component:default/storefront" in {d["ref"] for d in store.dependents("orders-db", transitive=True)}


def test_wrong_token_gives_a_clear_error_without_the_token():
    with StandIn(backstage_handler(_entities(), TOKEN)) as server, pytest.raises(BackstageError) as info:
        fetch_entities(server.url, "wrong-token-value")
    message = str(info.value)
    assert "answered 401" in message and "token was rejected" in message
    assert "wrong-token-value" not in message and TOKEN not in message


def test_missing_token_hint_and_store_error_entry():
    with StandIn(backstage_handler(_entities(), TOKEN)) as server:
        store = load_catalog_from([server.url, str(DATA / "dupes")], Settings())
    assert [e.name for e in store.all()] == ["twin"]  # the file source still loads
    (error,) = [e for e in store.errors if e.path == server.url]
    assert "no token is configured (set PORTAL_AGENT_BACKSTAGE_TOKEN)" in error.reason


def test_unreachable_backstage_is_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(BackstageError, match=f"cannot reach Backstage at http://127.0.0.1:{port}/api/catalog"):
        fetch_entities(f"http://127.0.0.1:{port}", TOKEN, timeout=2)


def test_invalid_items_are_reported_and_the_rest_loads():
    invalid = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "no owner"}, "spec": {}}
    served = [*_entities()[:3], invalid]
    with StandIn(backstage_handler(served, TOKEN)) as server:
        result = fetch_entities(server.url, TOKEN, page_size=2)
    assert len(result.entities) == 3
    assert len(result.errors) >= 1 and "#page2.item1" in result.errors[0].path
    assert Path(result.errors[0].path).name.endswith("item1")
