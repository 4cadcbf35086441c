"""Offline answers about other MCP servers' tools: what each server offers and what a tool does.

Calling one needs an LLM: its arguments follow the server's own JSON schema, which only a model can
fill from a question. The planner says so, and shows the tool's description and arguments.
"""

from __future__ import annotations

import re
from typing import Any

from contract.intent_files import load_intents
from contract.intents import Answer, Intent, PlanState, Step
from tools.mcp.tools import FAMILY, SEPARATOR, ExternalTool

IMPERATIVE = re.compile(r"^\s*(?:please\s+)?(?:call|run|use|invoke|execute|commit|create|get)\b", re.I)


def _external(state: PlanState) -> list[ExternalTool]:
    return [t for t in state.runtime.tools.values() if t.family == FAMILY and isinstance(t, ExternalTool)]


def extract_tools(state: PlanState) -> dict[str, Any] | None:
    text = state.utterance.lower()
    tools = _external(state)
    named = [t.name for t in tools if t.name.lower() in text or t.remote_name.lower() in text]
    servers = sorted({t.server for t in tools if re.search(rf"\b{re.escape(t.server.lower())}\b", text)})
    return {"tools": named, "servers": servers}


def _line(tool: ExternalTool) -> str:
    kind = "read-only" if not tool.mutating else "changes something: needs an approval"
    return f"- `{tool.name}` ({kind}): {tool.description.split('] ', 1)[-1][:200]}"


def _arguments(tool: ExternalTool) -> str:
    props = (tool.input_schema or {}).get("properties") or {}
    required = set((tool.input_schema or {}).get("required") or [])
    if not props:
        return "It takes no arguments."
    parts = [
        f"`{name}`{' (required)' if name in required else ''}: {(spec or {}).get('description', spec.get('type', ''))}"
        for name, spec in props.items()
    ]
    return "Arguments: " + "; ".join(parts) + "."


def plan_tools(state: PlanState) -> Step:
    tools = _external(state)
    if not tools:
        return Answer(text="No MCP server's tools are available right now (none configured, or none answered).")
    named = [t for t in tools if t.name in state.slots.get("tools", [])]
    if IMPERATIVE.search(state.utterance) and (named or state.slots.get("servers")):
        subject = named[0] if named else None
        text = (
            "Calling another MCP server's tools needs a configured LLM (PORTAL_AGENT_MODEL): their arguments "
            "follow that server's own schema, which I can't fill reliably offline."
        )
        if subject is not None:
            text += f"\n\n{_line(subject)}\n{_arguments(subject)}"
        return Answer(text=text, found=False)
    if named:
        return Answer(text="\n\n".join(f"{_line(t)}\n{_arguments(t)}" for t in named))
    servers = state.slots.get("servers") or sorted({t.server for t in tools})
    sections = []
    for server in servers:
        mine = [t for t in tools if t.server == server]
        sections.append(f"**{server}** ({len(mine)} tools):\n" + "\n".join(_line(t) for t in mine))
    note = f"Tool names are `<server>{SEPARATOR}<tool>`; calling them needs an LLM."
    return Answer(text="\n\n".join([*sections, note]))


def build_intents(runtime: Any) -> list[Intent]:
    return load_intents(__name__, runtime)
