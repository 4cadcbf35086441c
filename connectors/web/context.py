"""What every web request handler shares: the agent service, thread table, auth and limits."""

from __future__ import annotations

import asyncio

from fastapi import HTTPException, Request

from agent.identity import Principal
from agent.service import AgentService
from connectors.web.auth import Authenticator, RateLimiter, caller_key
from connectors.web.threads import ThreadRecord, ThreadStore

MAX_QUESTION_CHARS = 8000
# Graph runs at once per process. The offline planner is CPU-bound Python: more than two at once
# only interleave on the GIL and delay everyone's first token. An LLM's runs mostly wait on the
# network, so many may overlap.
OFFLINE_CONCURRENT_RUNS = 2
LLM_CONCURRENT_RUNS = 32


class WebContext:
    def __init__(self, service: AgentService):
        settings = service.runtime.settings
        self.service = service
        self.settings = settings
        self.threads = ThreadStore(service.runtime.data_dir / "web.db")
        self.auth = Authenticator(service.principal, settings.web_api_tokens, settings.web_trust_proxy_headers)
        self.limiter = RateLimiter(settings.web_rate_limit_per_minute)
        self.busy: set[str] = set()
        self.ready = False
        self.startup_error: str | None = None
        offline = str(settings.model).startswith("offline")
        self.run_slots = asyncio.Semaphore(OFFLINE_CONCURRENT_RUNS if offline else LLM_CONCURRENT_RUNS)
        self.background: set[asyncio.Task] = set()

    async def graph(self):
        """The service's graph (built once, off the event loop)."""
        return await self.service.agraph()

    # --- identity and limits -------------------------------------------------------------------
    def principal(self, request: Request) -> Principal:
        cached = getattr(request.state, "principal", None)
        if cached is None:
            cached = self.auth.principal(request)
            request.state.principal = cached
        return cached

    def rate_limit(self, request: Request, principal: Principal) -> None:
        ok, wait = self.limiter.allow(caller_key(principal, request))
        if not ok:
            raise HTTPException(
                status_code=429,
                detail=f"rate limit: retry in {wait:.1f}s",
                headers={"Retry-After": str(max(1, round(wait)))},
            )

    # --- threads -------------------------------------------------------------------------------
    def owned_thread(self, thread_id: str, principal: Principal) -> ThreadRecord:
        """The thread if this caller owns it; 404 otherwise (never confirm someone else's thread)."""
        record = self.threads.get(thread_id)
        if record is None or record.owner != principal.ref:
            raise HTTPException(status_code=404, detail=f"thread {thread_id} not found")
        return record
