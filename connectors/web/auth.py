"""Who is calling the web API: API tokens, a trusted proxy's identity header, or an anonymous visitor.

The approver of a web decision is always this authenticated identity, never a field of the
request body. Every identified caller is a catalog User (:func:`agent.identity.catalog_user`): a
token or a proxy header naming a group, another kind of entity or someone the catalog does not
know is refused here, before any handler runs.

Behind an authenticating proxy (``web_trust_proxy_headers``) exactly one header is believed,
``web_trusted_identity_header`` (default ``X-Forwarded-Email``, which oauth2-proxy sets and
overwrites): any other identity header a client sends is ignored. Its value is an email, matched
only against a User's own profile email (case-insensitive), or a catalog User's name.

Anonymous visitors are read-only and each is its own owner of threads: the server gives every
browser a random visitor key in an HttpOnly cookie (:class:`VisitorCookie`), and only its hash
is ever stored. Anonymous callers are rate-limited by their network address, not by that key,
which they could drop at will.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request

from agent.identity import NotAUser, catalog_user, user_principal
from contract.principal import Principal

if TYPE_CHECKING:
    from contract.catalog import Catalog

log = logging.getLogger(__name__)

VISITOR_COOKIE = "portal_agent_visitor"
VISITOR_KEY = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
VISITOR_MAX_AGE = 30 * 24 * 3600
MAX_BUCKETS = 10_000


def parse_tokens(pairs: list[str]) -> dict[str, str]:
    """``token=user:default/name`` pairs; malformed entries are logged (never with the token) and skipped."""
    out: dict[str, str] = {}
    for index, pair in enumerate(pairs):
        token, sep, ref = pair.partition("=")
        if not sep or not token.strip() or not ref.strip():
            log.error("web_api_tokens entry %d is not token=user:default/name; ignored", index + 1)
            continue
        out[token.strip()] = ref.strip()
    return out


class Authenticator:
    def __init__(
        self,
        catalog: Callable[[], Catalog],
        tokens: list[str],
        trust_proxy: bool,
        identity_header: str = "X-Forwarded-Email",
    ):
        self._catalog = catalog
        self._tokens = parse_tokens(tokens)
        self.trust_proxy = trust_proxy
        self.identity_header = identity_header.lower()

    def _token_ref(self, token: str) -> str | None:
        found = None
        for known, ref in self._tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                found = ref
        return found

    def principal(self, request: Request) -> Principal:
        """The caller; raises 401 for an unknown token, 403 for an identity that is not a catalog User."""
        header = request.headers.get("authorization", "")
        token = None
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
        token = token or request.headers.get("x-api-key")
        if token:
            ref = self._token_ref(token)
            if ref is None:
                raise HTTPException(status_code=401, detail="invalid API token")
            return self._user(ref=ref, what=f"this API token's principal {ref}")
        if self.trust_proxy:
            value = (request.headers.get(self.identity_header) or "").strip()
            if value and "@" in value:
                return self._user(email=value, what=f"the signed-in email {value}")
            if value:
                return self._user(ref=value, what=f"the signed-in user {value}")
        return Principal.anonymous(via="web")

    def user(self, ref: str) -> Principal:
        """The catalog User ``ref`` as a web caller (403 if it is not one)."""
        return self._user(ref=ref, what=f"the user {ref}")

    def _user(self, *, ref: str | None = None, email: str | None = None, what: str) -> Principal:
        catalog = self._catalog()
        try:
            entity = catalog_user(catalog, ref, email=email)
        except NotAUser as exc:
            raise HTTPException(status_code=403, detail=f"{exc}; ask an admin for a personal token") from exc
        if entity is None:
            raise HTTPException(status_code=403, detail=f"{what} is not a User in the catalog")
        return user_principal(catalog, entity, via="web")


def visitor_owner(request: Request) -> str:
    """The owner key of an anonymous visitor: a hash of its cookie's random key (issued if absent).

    A new key is left in ``request.state.issue_visitor`` for :class:`VisitorCookie` to send.
    """
    key = request.cookies.get(VISITOR_COOKIE) or getattr(request.state, "issue_visitor", None)
    if not key or not VISITOR_KEY.match(key):
        key = secrets.token_urlsafe(32)
        request.state.issue_visitor = key
    return "visitor:" + hashlib.sha256(key.encode()).hexdigest()[:32]


class VisitorCookie:
    """ASGI middleware: sends the visitor key a handler issued as an HttpOnly cookie.

    ``SameSite=Lax`` over plain HTTP (same-site pages only); over HTTPS ``SameSite=None; Secure``
    so the widget embedded on another site of the portal keeps its visitor. Cross-site requests
    are still stopped by CORS and by the API taking only JSON bodies.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                key = (scope.get("state") or {}).get("issue_visitor")
                if key:
                    secure = scope.get("scheme") == "https"
                    attrs = "Secure; SameSite=None" if secure else "SameSite=Lax"
                    cookie = f"{VISITOR_COOKIE}={key}; Path=/; Max-Age={VISITOR_MAX_AGE}; HttpOnly; {attrs}"
                    message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
            await send(message)

        return await self.app(scope, receive, send_with_cookie)


class RateLimiter:
    """A token bucket per caller: ``per_minute`` requests, refilled continuously.

    Memory is bounded: a bucket idle long enough to be full again is forgotten (a new one is the
    same), and at most ``max_buckets`` are kept, the least recently used dropped first.
    """

    def __init__(
        self,
        per_minute: int,
        burst: int | None = None,
        max_buckets: int = MAX_BUCKETS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.per_minute = per_minute
        self._clock = clock
        self.capacity = float(burst or max(1, min(per_minute, 10)) if per_minute else 0)
        self.max_buckets = max_buckets
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, last use), oldest first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def allow(self, key: str) -> tuple[bool, float]:
        """Whether one more request is allowed now, and if not, seconds until it will be."""
        if self.per_minute <= 0:
            return True, 0.0
        rate = self.per_minute / 60.0
        now = self._clock()
        with self._lock:
            self._forget_idle(now, self.capacity / rate)
            tokens, last = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * rate)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            while len(self._buckets) > self.max_buckets:
                self._buckets.popitem(last=False)
        return (True, 0.0) if allowed else (False, (1.0 - tokens) / rate)

    def _forget_idle(self, now: float, refill_seconds: float) -> None:
        while self._buckets:
            _, last = next(iter(self._buckets.values()))
            if now - last < refill_seconds:
                return
            self._buckets.popitem(last=False)


def caller_key(principal: Principal, request: Request) -> str:
    """Identified people are limited per person; anonymous callers per network address.

    The address is the TCP peer unless ``web_forwarded_allow_ips`` names the proxy in front,
    so a client cannot pick it with ``X-Forwarded-For``.
    """
    if principal.is_anonymous:
        host = request.client.host if request.client else "unknown"
        return f"anon:{host}"
    return principal.ref
