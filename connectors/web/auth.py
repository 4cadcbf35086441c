"""Who is calling the web API: API tokens, a trusted OIDC proxy's headers, or nobody (read-only).

The approver of a web decision is always this authenticated identity, never a field of the
request body. Proxy headers are only believed when ``web_trust_proxy_headers`` says the app runs
behind a proxy that sets them (otherwise anyone could send ``X-Forwarded-Email``).
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable

from fastapi import HTTPException, Request

from agent.identity import Principal

log = logging.getLogger(__name__)

EMAIL_HEADERS = ("x-forwarded-email", "x-auth-request-email")
USER_HEADERS = ("x-forwarded-user", "x-auth-request-user")


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
    def __init__(self, resolve: Callable[..., Principal], tokens: list[str], trust_proxy: bool):
        self._resolve = resolve
        self._tokens = parse_tokens(tokens)
        self.trust_proxy = trust_proxy

    def _token_ref(self, token: str) -> str | None:
        found = None
        for known, ref in self._tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                found = ref
        return found

    def principal(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        token = None
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
        token = token or request.headers.get("x-api-key")
        if token:
            ref = self._token_ref(token)
            if ref is None:
                raise HTTPException(status_code=401, detail="invalid API token")
            return self._resolve(ref, via="web")
        if self.trust_proxy:
            email = next((request.headers[h] for h in EMAIL_HEADERS if request.headers.get(h)), None)
            user = next((request.headers[h] for h in USER_HEADERS if request.headers.get(h)), None)
            if email:
                principal = self._resolve(None, email=email.strip(), via="web")
                if not principal.is_anonymous:
                    return principal
                # An authenticated person the catalog does not know: identified, but read-only.
                return Principal(ref=f"user:default/{email.split('@')[0]}", email=email, read_only=True, via="web")
            if user:
                return self._resolve(user.strip(), via="web")
        return Principal.anonymous(via="web")


class RateLimiter:
    """A token bucket per caller: ``per_minute`` requests, refilled continuously."""

    def __init__(self, per_minute: int, burst: int | None = None):
        self.per_minute = per_minute
        self.capacity = float(burst or max(1, min(per_minute, 10)) if per_minute else 0)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> tuple[bool, float]:
        """Whether one more request is allowed now, and if not, seconds until it will be."""
        if self.per_minute <= 0:
            return True, 0.0
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return True, 0.0
            self._buckets[key] = (tokens, now)
            return False, (1.0 - tokens) / rate


def caller_key(principal: Principal, request: Request) -> str:
    """Identified people are limited per person; anonymous callers per client address."""
    if principal.is_anonymous:
        host = request.client.host if request.client else "unknown"
        return f"anon:{host}"
    return principal.ref
