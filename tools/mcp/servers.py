"""Which MCP servers are configured (``PORTAL_AGENT_MCP_SERVERS``) and how to reach each one.

JSON, by name: ``{"git": {"command": "mcp-server-git", "args": ["-r", "/repo"]},
"backstage": {"url": "https://backstage.example/api/mcp-actions/v1", "token": "…", "entity":
"component:default/backstage"}}``; or the short form ``name=url,name=url``. ``entity`` is the
catalog entity whose owners approve the server's mutating tools (default: the admin groups only).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field, SecretStr, ValidationError, model_validator

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,30}$")


class McpServerSpec(BaseModel):
    name: str
    url: str | None = Field(None, description="Streamable HTTP endpoint")
    token: SecretStr | None = Field(None, description="Bearer token sent to the server (Backstage static tokens)")
    command: str | None = Field(None, description="A program speaking MCP on stdio")
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    entity: str | None = Field(None, description="Catalog entity whose owners approve its mutating tools")

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerSpec:
        if not NAME.match(self.name):
            raise ValueError(f"server name {self.name!r}: letters, digits, '-' and '_' only (it prefixes tool names)")
        if bool(self.url) == bool(self.command):
            raise ValueError(f"server {self.name!r}: give exactly one of url or command")
        return self


class McpServersError(ValueError):
    """``PORTAL_AGENT_MCP_SERVERS`` could not be read; the message names the server and field."""


def parse_servers(raw: str | None) -> list[McpServerSpec]:
    raw = (raw or "").strip()
    if not raw:
        return []
    if raw.startswith("{"):
        try:
            data: Any = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise McpServersError(f"PORTAL_AGENT_MCP_SERVERS: not valid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise McpServersError("PORTAL_AGENT_MCP_SERVERS: expected an object of name → server")
        items = [{**(v if isinstance(v, dict) else {"url": v}), "name": k} for k, v in data.items()]
    else:
        items = []
        for pair in (p.strip() for p in raw.split(",") if p.strip()):
            name, sep, url = pair.partition("=")
            if not sep:
                raise McpServersError(f"PORTAL_AGENT_MCP_SERVERS: {pair!r} is not name=url")
            items.append({"name": name.strip(), "url": url.strip()})
    specs = []
    for item in items:
        try:
            specs.append(McpServerSpec.model_validate(item))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'server'}: {e['msg']}" for e in exc.errors())
            raise McpServersError(f"PORTAL_AGENT_MCP_SERVERS: server {item.get('name')!r}: {problems}") from exc
    return specs
