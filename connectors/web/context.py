"""What every web request handler shares: the agent service, thread table, auth, limits, run leases."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException, Request

from agent.service import AgentService
from connectors.web.auth import Authenticator, RateLimiter, caller_key, visitor_owner
from connectors.web.demo_people import DemoPeople
from connectors.web.run_registry import RunRegistry
from connectors.web.shared_limits import SharedRateLimiter, rate_limiter
from connectors.web.threads import ThreadRecord, thread_store
from contract.principal import Principal

MAX_QUESTION_CHARS = 8000
# Graph runs at once per process. The offline planner is CPU-bound Python: more than two at once
# only interleave on the GIL and delay everyone's first token. An LLM's runs mostly wait on the
# network, so many may overlap.
OFFLINE_CONCURRENT_RUNS = 2
LLM_CONCURRENT_RUNS = 32


class Lease:
    """A thread's "a run is in progress" mark. Released exactly once, by whoever holds it last.

    :meth:`WebContext.lease` releases it when its block ends, unless the block handed it to the
    task that runs the graph (:meth:`hand_off`); that task releases it when it ends.
    """

    def __init__(self, busy: set[str], thread_id: str):
        self.thread_id = thread_id
        self._busy = busy
        self._held = True
        self.handed_off = False
        busy.add(thread_id)

    def hand_off(self) -> None:
        """From now on the graph's task releases it (see :func:`connectors.web.runs.start_graph`)."""
        self.handed_off = True

    def release(self) -> None:
        """Idempotent: a second call must not clear the mark of a newer run on the same thread."""
        if self._held:
            self._held = False
            self._busy.discard(self.thread_id)


class WebContext:
    def __init__(self, service: AgentService):
        settings = service.runtime.settings
        self.service = service
        self.settings = settings
        self.threads = thread_store(service.runtime)
        self.auth = Authenticator(
            lambda: service.runtime.catalog,
            settings.web_api_tokens,
            settings.web_trust_proxy_headers,
            settings.web_trusted_identity_header,
        )
        self.run_limiter = rate_limiter(service.runtime, "run", settings.web_rate_limit_per_minute)
        self.read_limiter = rate_limiter(service.runtime, "read", settings.web_read_rate_limit_per_minute)
        self.busy: set[str] = set()
        self.ready = False
        self.startup_error: str | None = None
        offline = str(settings.model).startswith("offline")
        self.run_slots = asyncio.Semaphore(OFFLINE_CONCURRENT_RUNS if offline else LLM_CONCURRENT_RUNS)
        self.background: set[asyncio.Task] = set()
        self.runs = RunRegistry()  # this process's runs, to join, wait for or cancel
        self.demo_people = DemoPeople(enabled=settings.uses_demo)  # "try as", with the demo only

    async def graph(self):
        """The service's graph (built once, off the event loop)."""
        return await self.service.agraph()

    # --- identity and limits -------------------------------------------------------------------
    def principal(self, request: Request) -> Principal:
        cached = getattr(request.state, "principal", None)
        if cached is None:
            cached = self.auth.principal(request)
            demo_person = self.demo_people.chosen(request) if cached.is_anonymous else None
            if demo_person is not None:
                cached = self.auth.user(demo_person)
            request.state.principal = cached
        return cached

    def owner(self, request: Request) -> str:
        """Whose threads these are: the person's ref, or an anonymous visitor's own key."""
        principal = self.principal(request)
        return visitor_owner(request) if principal.is_anonymous else principal.ref

    def limit_runs(self, request: Request) -> Principal:
        """The caller, once a run or decision fits its rate limit (429 otherwise)."""
        return self._limit(self.run_limiter, request)

    def limit_reads(self, request: Request) -> Principal:
        """The caller, once a thread creation, list, state or history read fits its rate limit."""
        return self._limit(self.read_limiter, request)

    def _limit(self, limiter: RateLimiter | SharedRateLimiter, request: Request) -> Principal:
        principal = self.principal(request)
        ok, wait = limiter.allow(caller_key(principal, request))
        if not ok:
            raise HTTPException(
                status_code=429,
                detail=f"rate limit: retry in {wait:.1f}s",
                headers={"Retry-After": str(max(1, round(wait)))},
            )
        return principal

    # --- threads -------------------------------------------------------------------------------
    def owned_thread(self, thread_id: str, request: Request) -> ThreadRecord:
        """The thread if this caller owns it; 404 otherwise (never confirm someone else's thread)."""
        record = self.threads.get(thread_id)
        if record is None or record.owner != self.owner(request):
            raise HTTPException(status_code=404, detail=f"thread {thread_id} not found")
        return record

    @contextmanager
    def lease(self, thread_id: str) -> Iterator[Lease]:
        """Mark the thread busy for the block (409 if it already is); released however the block ends."""
        if thread_id in self.busy:
            raise HTTPException(status_code=409, detail="a run is already in progress on this thread")
        lease = Lease(self.busy, thread_id)
        try:
            yield lease
        finally:
            if not lease.handed_off:
                lease.release()
