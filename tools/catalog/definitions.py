"""A few lines about an API definition (OpenAPI, AsyncAPI, gRPC, GraphQL), so a tool output can say
what an API offers without sending the whole definition to the model."""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_ITEMS = 12


def summarize_definition(api_type: str | None, definition: Any) -> dict[str, Any]:
    kind = (api_type or "").lower()
    if isinstance(definition, dict) and len(definition) == 1 and next(iter(definition)).startswith("$"):
        marker, target = next(iter(definition.items()))
        return {"format": kind or "unknown", "location": str(target), "note": f"definition not loaded ({marker})"}
    if not isinstance(definition, str) or not definition.strip():
        return {"format": kind or "unknown", "note": "no definition"}
    text = definition
    out: dict[str, Any] = {"format": kind or "unknown", "lines": text.count("\n") + 1}
    if kind in ("openapi", "asyncapi") or text.lstrip().startswith(("openapi", "asyncapi", "swagger", "{")):
        try:
            doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as exc:
            out["note"] = f"definition is not valid YAML/JSON: {str(exc).splitlines()[0]}"
            return out
        if isinstance(doc, dict):
            info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
            for key in ("title", "version"):
                if info.get(key) is not None:
                    out[key] = str(info[key])
            for spec_key in ("openapi", "asyncapi", "swagger"):
                if spec_key in doc:
                    out["spec_version"] = f"{spec_key} {doc[spec_key]}"
            if isinstance(doc.get("paths"), dict):
                ops = []
                for path, item in doc["paths"].items():
                    methods = [
                        m.upper()
                        for m in (item or {})
                        if m.lower() in ("get", "put", "post", "delete", "patch", "head", "options")
                    ]
                    ops.append(f"{'/'.join(methods) or '?'} {path}")
                out["operations"] = ops[:MAX_ITEMS]
                out["operation_count"] = len(ops)
            servers = _servers(doc.get("servers"))
            if servers:
                out["servers"] = servers
            channels = doc.get("channels")
            if isinstance(channels, dict):
                out["channels"] = list(channels)[:MAX_ITEMS]
                out["channel_count"] = len(channels)
        return out
    if kind == "grpc" or re.search(r"^\s*service\s+\w+", text, re.M):
        out["services"] = re.findall(r"^\s*service\s+(\w+)", text, re.M)[:MAX_ITEMS]
        out["rpcs"] = re.findall(r"\brpc\s+(\w+)", text)[:MAX_ITEMS]
        return out
    if kind == "graphql":
        out["types"] = re.findall(r"^\s*(?:type|input|enum|interface)\s+(\w+)", text, re.M)[:MAX_ITEMS]
        return out
    out["excerpt"] = " ".join(text.split())[:200]
    return out


def _servers(raw: Any) -> list[dict[str, Any]]:
    """Where to connect: each server's URL and protocol, and the values its URL variables may
    take (an AsyncAPI broker's ``{port}`` with ``enum: [1883, 8883]`` is how to reach it)."""
    items = raw.items() if isinstance(raw, dict) else enumerate(raw) if isinstance(raw, list) else ()
    out: list[dict[str, Any]] = []
    for key, server in items:
        if not isinstance(server, dict) or not server.get("url"):
            continue
        row: dict[str, Any] = {"url": str(server["url"])}
        if isinstance(key, str):
            row["name"] = key
        for field in ("protocol", "description"):
            if server.get(field):
                row[field] = " ".join(str(server[field]).split())[:120]
        variables = server.get("variables")
        if isinstance(variables, dict):
            values = {}
            for name, var in variables.items():
                if isinstance(var, dict):
                    allowed = var.get("enum") if isinstance(var.get("enum"), list) else []
                    listed = [str(v) for v in allowed] or ([str(var["default"])] if "default" in var else [])
                    if listed:
                        values[str(name)] = listed[:MAX_ITEMS]
            if values:
                row["variables"] = values
        out.append(row)
    return out[:MAX_ITEMS]
