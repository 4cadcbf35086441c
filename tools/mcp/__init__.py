"""MCP servers' tools as a tool family: ``PORTAL_AGENT_MCP_SERVERS`` (see :mod:`tools.mcp.servers`).

Importing this package is cheap: no server is contacted until the tools are first listed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.registry import ToolFamily, guidance_of, lazy

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime


def _configured(runtime: FamilyRuntime) -> bool:
    secret = runtime.settings.mcp_servers
    return bool(secret is not None and secret.get_secret_value().strip())


family = ToolFamily(
    name="mcp",
    guidance=guidance_of(__name__),
    tools=lazy("tools.mcp.tools:build_tools"),
    intents=lazy("tools.mcp.intents:build_intents"),
    enabled=_configured,
    unconfigured="no MCP servers are configured — set PORTAL_AGENT_MCP_SERVERS (name=url, or JSON with url/token "
    "or command/args per server)",
)
