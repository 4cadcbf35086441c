"""API definition summaries for tool outputs."""

from __future__ import annotations

from tools.catalog.definitions import summarize_definition

OPENAPI = """openapi: 3.0.0
info: {title: Orders, version: 2.1.0}
paths:
  /orders: {get: {}, post: {}}
  /orders/{id}: {get: {}}
"""


def test_openapi_summary():
    out = summarize_definition("openapi", OPENAPI)
    assert out["title"] == "Orders" and out["version"] == "2.1.0"
    assert out["operations"] == ["GET/POST /orders", "GET /orders/{id}"] and out["operation_count"] == 2


def test_grpc_graphql_asyncapi_and_unloaded():
    grpc = summarize_definition("grpc", "service Pay { rpc Charge(A) returns (B); rpc Refund(A) returns (B); }")
    assert grpc["services"] == ["Pay"] and grpc["rpcs"] == ["Charge", "Refund"]
    gql = summarize_definition("graphql", "type Query { a: Int }\ninput New { b: Int }")
    assert gql["types"] == ["Query", "New"]
    asyncapi = summarize_definition(
        "asyncapi", "asyncapi: 2.0.0\ninfo: {title: T, version: '1'}\nchannels: {orders/created: {}}"
    )
    assert asyncapi["channels"] == ["orders/created"]
    remote = summarize_definition("openapi", {"$text": "https://example.com/x.yaml"})
    assert remote["location"] == "https://example.com/x.yaml"
    assert "not valid YAML" in summarize_definition("openapi", "openapi: [")["note"]
    assert summarize_definition(None, None)["note"] == "no definition"
