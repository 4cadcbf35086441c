"""Each configured MCP server's tools as portal-agent tools, namespaced ``<server>__<tool>``.

A tool is read-only only when its server marks it ``readOnlyHint``; every other tool is mutating
and goes through the approval gate like a restart does, with the server, the tool and the exact
arguments as the preview. Its approvers are the owners of the server's catalog ``entity`` (when
configured) and the admin groups. Descriptions are cut to a token cap so that a chatty server
cannot crowd the model's context; results are capped like every tool's by the graph.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jsonschema
from pydantic import BaseModel, ConfigDict

from contract.tokens import truncate_to_tokens
from contract.tooling import PortalTool, Preview, ToolContext, ToolResult
from tools.mcp.client import McpConnection, McpUnavailable
from tools.mcp.servers import McpServerSpec, parse_servers

if TYPE_CHECKING:
    from mcp.types import Tool

    from contract.runtime import FamilyRuntime

log = logging.getLogger(__name__)
FAMILY = "mcp"
DESCRIPTION_TOKENS = 160
SEPARATOR = "__"


class AnyArgs(BaseModel):
    """Arguments as the server's JSON schema defines them (checked with jsonschema, kept as given)."""

    model_config = ConfigDict(extra="allow")


@dataclass
class ExternalTool(PortalTool):
    """A tool of another MCP server: its own JSON schema, called through its connection."""

    server: str = ""
    remote_name: str = ""
    input_schema: dict[str, Any] = field(default_factory=dict)

    def parse(self, args: dict[str, Any]) -> BaseModel:
        jsonschema.validate(instance=args, schema=self.input_schema or {"type": "object"})
        return AnyArgs.model_validate(args)

    def model_schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.input_schema},
        }


def local_name(server: str, remote: str) -> str:
    """``git`` + ``git_commit`` → ``git__git_commit``; Backstage's ``catalog.get-catalog-entity`` →
    ``backstage__catalog_get-catalog-entity`` (function names allow only letters, digits, _ and -)."""
    return f"{server}{SEPARATOR}{re.sub(r'[^A-Za-z0-9_-]', '_', remote)}"[:64]


def connections(runtime: FamilyRuntime) -> dict[str, McpConnection]:
    specs = parse_servers(_raw(runtime))
    return {s.name: runtime.service(f"mcp.connection.{s.name}", lambda s=s: McpConnection(s)) for s in specs}


def _raw(runtime: FamilyRuntime) -> str | None:
    secret = runtime.settings.mcp_servers
    return secret.get_secret_value() if secret is not None else None


def build_tools(runtime: FamilyRuntime) -> list[PortalTool]:
    specs = {s.name: s for s in parse_servers(_raw(runtime))}
    out: list[PortalTool] = []
    for name, connection in connections(runtime).items():
        try:
            listed = connection.list_tools()
        except McpUnavailable as exc:  # its tools are missing until it answers; the others still load
            log.warning("%s; its tools are not offered", exc)
            continue
        out.extend(_tool(specs[name], connection, remote) for remote in listed)
    return out


def _tool(spec: McpServerSpec, connection: McpConnection, remote: Tool) -> ExternalTool:
    hints = remote.annotations
    read_only = bool(hints and hints.readOnlyHint)
    destructive = not read_only and (hints is None or hints.destructiveHint is not False)
    description, _ = truncate_to_tokens(
        f"[MCP server {spec.name}] {remote.description or remote.title or remote.name}",
        DESCRIPTION_TOKENS,
        what="tool description",
    )
    target = spec.entity or f"resource:default/mcp-{spec.name}"

    def run(args: AnyArgs, ctx: ToolContext) -> ToolResult:
        return _call(connection, spec.name, remote.name, args.model_dump())

    return ExternalTool(
        name=local_name(spec.name, remote.name),
        description=description,
        args_schema=AnyArgs,
        func=run,
        family=FAMILY,
        mutating=not read_only,
        target=None if read_only else (lambda args, ctx: target),
        preview=None if read_only else (lambda args, ctx: _preview(spec.name, remote.name, args.model_dump())),
        risk="high" if destructive else "medium",
        action=f"{remote.title or remote.name} on MCP server {spec.name}",
        destructive=destructive,
        server=spec.name,
        remote_name=remote.name,
        input_schema=dict(remote.inputSchema or {"type": "object"}),
    )


def _preview(server: str, tool: str, args: dict[str, Any]) -> Preview:
    return Preview(
        summary=f"call {tool} on the MCP server {server!r}",
        details="\n".join(f"{key} = {json.dumps(value, default=str)[:300]}" for key, value in sorted(args.items())),
    )


def _call(connection: McpConnection, server: str, tool: str, args: dict[str, Any]) -> ToolResult:
    query = {"tool": local_name(server, tool), **args}
    try:
        result = connection.call(tool, args)
    except McpUnavailable as exc:
        return ToolResult.failure(str(exc), query)
    text = "\n".join(getattr(block, "text", "") or f"[{block.type} content]" for block in result.content)
    data: dict[str, Any] = {"text": text}
    if result.structuredContent is not None:
        data["structured"] = result.structuredContent
    if result.isError:
        return ToolResult.failure(f"{server} {tool}: {text[:500]}", query)
    return ToolResult(data=data, query=query, source=f"MCP server {server}")
