"""The MCP server: the same tools, gate and identities as chat, for editors and other assistants.

One :class:`PortalMcp` serves both transports. Over stdio (``portal-agent mcp``) the caller is the
configured ``PORTAL_AGENT_MCP_USER``; over streamable HTTP (``/mcp`` on ``portal-agent serve``) every
request is identified like the web API's: an API token (or the authenticating proxy's header)
mapped to a catalog User, and refused (401/403) otherwise.

Read tools run at once and answer with their token-capped result, exactly what a model would be
sent. A mutating tool never runs here: the call enters the agent graph as if a model had made it
(:meth:`agent.service.AgentService.arequest_call`), so it stops at the approval gate like a chat's,
and the answer is the request — its id, preview and approvers.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import mcp.types as types
from mcp.server.lowlevel import Server
from pydantic import AnyUrl

from agent.gate.policy import ApprovalDecision
from agent.redact import redact_text
from agent.service import AgentService, DecisionRefused, new_thread_id
from connectors.mcp.catalog_of_tools import ASK, DECIDE, STATUS, listed_tools
from contract.principal import Principal
from contract.tokens import truncate_to_tokens
from contract.tooling import ToolContext

log = logging.getLogger(__name__)
MAX_LISTED_RESOURCES = 2000


class McpRefused(Exception):
    """A call the caller may not make; its message is what the client is told."""


class PortalMcp:
    def __init__(self, service: AgentService, principal_of: Callable[[Any], Principal]):
        """``principal_of(request)`` identifies the caller of one message (``request`` is the HTTP
        request it came in, or None over stdio); it raises :class:`McpRefused` for strangers."""
        self.service = service
        self.runtime = service.runtime
        self.principal_of = principal_of
        self.server: Server = Server("portal-agent", version="0.1.0", instructions=_INSTRUCTIONS)
        self._register()

    @property
    def mutating(self) -> bool:
        return self.runtime.settings.mcp_mutating_tools and not self.runtime.settings.read_only

    # --- handlers --------------------------------------------------------------------------------
    def _register(self) -> None:
        server = self.server

        @server.list_tools()
        async def list_tools() -> list[types.Tool]:
            return listed_tools(self.runtime.tools, mutating=self.mutating)

        @server.call_tool()
        async def call_tool(name: str, arguments: dict[str, Any]) -> types.CallToolResult:
            try:
                principal = self.principal_of(_request(server))
                return await self.call(name, arguments or {}, principal)
            except McpRefused as exc:
                return _error(str(exc))

        @server.list_resources()
        async def list_resources() -> list[types.Resource]:
            return await asyncio.to_thread(self._resources)

        @server.list_resource_templates()
        async def list_resource_templates() -> list[types.ResourceTemplate]:
            return [
                types.ResourceTemplate(
                    uriTemplate="catalog://{kind}/{namespace}/{name}",
                    name="catalog entity",
                    description="A catalog entity as portal-agent reads it (kind, owner, relations, links)",
                    mimeType="application/json",
                ),
                types.ResourceTemplate(
                    uriTemplate="docs://page/{page}",
                    name="docs page",
                    description="A documentation page by its link, path or title (URL-encoded), with its sections",
                    mimeType="text/markdown",
                ),
            ]

        @server.read_resource()
        async def read_resource(uri: AnyUrl) -> str:
            principal = self.principal_of(_request(server))
            return await asyncio.to_thread(self._read_resource, str(uri), principal)

    # --- tools ---------------------------------------------------------------------------------
    async def call(self, name: str, args: dict[str, Any], principal: Principal) -> types.CallToolResult:
        if name == ASK:
            return await self._ask(args, principal)
        if name == STATUS:
            return _json(self._status(str(args.get("request_id", "")), principal))
        if name == DECIDE and self.mutating:
            return await self._decide(args, principal)
        tool = self.runtime.tools.get(name)
        if tool is None or (tool.mutating and not self.mutating):
            return _error(f"no tool {name!r} here")
        if tool.mutating:
            return await self._request_change(name, args, principal)
        ctx = ToolContext(runtime=self.runtime, principal=principal)
        result = await asyncio.to_thread(tool.run, args, ctx)
        text, _ = truncate_to_tokens(
            redact_text(result.to_text()), self.runtime.settings.tool_output_tokens, what=f"{name} output"
        )
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)], isError=not result.ok)

    async def _ask(self, args: dict[str, Any], principal: Principal) -> types.CallToolResult:
        question = str(args.get("question") or "").strip()
        if not question:
            return _error("ask_portal needs a question")
        thread_id = self._conversation(args.get("conversation"), principal)
        try:
            turn = await self.service.aask(question, principal, thread_id=thread_id)
        except DecisionRefused as exc:
            return _error(str(exc))
        body: dict[str, Any] = {"answer": turn.answer, "refs": turn.refs, "conversation": thread_id}
        if turn.interrupt is not None:
            body["approval"] = _request_view(turn.interrupt.get("request", {}))
        return _json(body)

    async def _request_change(self, name: str, args: dict[str, Any], principal: Principal) -> types.CallToolResult:
        if principal.read_only:
            return _error(f"{principal.ref} is read-only here: changes can be neither requested nor approved")
        thread_id = self._conversation(None, principal)
        why = f"{name} requested over MCP by {principal.ref}: {json.dumps(args, sort_keys=True)}"
        turn = await self.service.arequest_call(name, args, principal, thread_id, why=why)
        if turn.interrupt is None:  # the gate refused it outright (bad arguments, nothing to change…)
            return _error(turn.answer or f"{name} was not accepted")
        return _json({"status": "pending_approval", **_request_view(turn.interrupt.get("request", {}))})

    def _status(self, request_id: str, principal: Principal) -> dict[str, Any]:
        stored = self.service.approval(request_id)
        if stored is None or not self._may_see(stored.request, principal):
            raise McpRefused(f"no approval request {request_id!r} that you may see")
        out = {"request_id": request_id, "status": stored.status, **_request_view(stored.request.model_dump())}
        if stored.decision is not None:
            out["decision"] = {"by": stored.decision.approver, "decision": stored.decision.decision}
        if stored.result is not None:
            out["result"] = stored.result
        return out

    async def _decide(self, args: dict[str, Any], principal: Principal) -> types.CallToolResult:
        request_id = str(args.get("request_id", ""))
        stored = self.service.approval(request_id)
        if stored is None or not self._may_see(stored.request, principal):
            return _error(f"no approval request {request_id!r} that you may see")
        decision = ApprovalDecision(
            request_id=request_id,
            decision="reject" if args.get("decision") == "reject" else "approve",
            approver=principal.ref,
            args_hash=stored.request.args_hash,
            comment=args.get("comment"),
        )
        try:
            turn = await self.service.adecide(decision, principal)
        except DecisionRefused as exc:
            return _error(f"refused: {exc}")
        return _json({"request_id": request_id, "answer": turn.answer, **self._status(request_id, principal)})

    def _may_see(self, request: Any, principal: Principal) -> bool:
        if principal.ref == request.requested_by:
            return True
        return any(ref in request.approvers for ref in (principal.ref, *principal.groups)) or bool(
            self.service.gate.policy.may_approve(principal, request).ok
        )

    @staticmethod
    def _conversation(given: Any, principal: Principal) -> str:
        """Conversations are bound to their caller: an id carries a digest of the principal, so
        nobody continues (or reads) another person's conversation by guessing or pasting its id."""
        owner = hashlib.sha256(principal.ref.encode()).hexdigest()[:12]
        if given:
            if not str(given).startswith(f"mcp-{owner}-"):
                raise McpRefused("that conversation is not yours; start a new one (omit `conversation`)")
            return str(given)
        return f"mcp-{owner}-{new_thread_id()}"

    # --- resources -----------------------------------------------------------------------------
    def _resources(self) -> list[types.Resource]:
        """Catalog entities; docs pages are read through the ``docs://page/{page}`` template."""
        return [
            types.Resource(
                uri=AnyUrl(f"catalog://{e.kind_lower}/{e.namespace}/{e.name}"),
                name=e.ref,
                title=e.display_name,
                description=(e.description or "")[:200] or None,
                mimeType="application/json",
            )
            for e in self.runtime.catalog.all()[:MAX_LISTED_RESOURCES]
        ]

    def _read_resource(self, uri: str, principal: Principal) -> str:
        ctx = ToolContext(runtime=self.runtime, principal=principal)
        if uri.startswith("catalog://"):
            kind, namespace, name = [*unquote(uri.removeprefix("catalog://")).split("/"), "", "", ""][:3]
            ref = f"{kind}:{namespace}/{name}"
            if "catalog_get_entity" not in self.runtime.tools:  # the catalog without its family's tools
                entity = self.runtime.catalog.get(ref)
                if entity is None:
                    raise ValueError(f"no catalog entity {ref}")
                return json.dumps(entity.summary(description_chars=2000), default=str)
            result = self.runtime.tools["catalog_get_entity"].run({"ref": ref}, ctx)
        elif uri.startswith("docs://page/") and "read_doc_page" in self.runtime.tools:
            result = self.runtime.tools["read_doc_page"].run({"page": unquote(uri.removeprefix("docs://page/"))}, ctx)
        else:
            raise ValueError(f"unknown resource {uri!r} (catalog://kind/namespace/name or docs://page/<page>)")
        if not result.ok:
            raise ValueError(result.error or f"could not read {uri}")
        return redact_text(result.to_text())


_INSTRUCTIONS = (
    "portal-agent answers questions about the company's software catalog, docs, Kubernetes, cost, "
    "templates and runbooks. Use ask_portal for questions in plain words, or the family tools directly. "
    "Changes are never made here: a mutating tool returns an approval request for a person to decide."
)


def _request(server: Server) -> Any:
    try:
        return server.request_context.request
    except LookupError:
        return None


def _request_view(request: dict[str, Any]) -> dict[str, Any]:
    preview = request.get("preview") or {}
    return {
        "request_id": request.get("id"),
        "action": request.get("action"),
        "target": request.get("target"),
        "requested_by": request.get("requested_by"),
        "approvers": request.get("approvers", []),
        "four_eyes": request.get("four_eyes", False),
        "expires_at": str(request.get("expires_at", "")),
        "preview": preview.get("summary") if isinstance(preview, dict) else str(preview),
    }


def _json(body: dict[str, Any]) -> types.CallToolResult:
    text = json.dumps(body, indent=1, default=str)
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structuredContent=body)


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], isError=True)
