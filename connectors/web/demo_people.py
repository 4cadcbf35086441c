"""'Try as' a demo person: only when the demo organisation is in use, never with real sources.

``make run`` serves the demo with nobody signed in, and anonymous visitors are read-only; to walk
through a change request and its approval, the page offers a few demo people (``demo.personas``).
The choice is a cookie signed with a key this process made up at start, naming one of those
people only; with any real source configured the offer, the endpoint and the cookie do not exist.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

COOKIE = "pa_demo_as"


class DemoPeople:
    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._key = secrets.token_bytes(32)
        if enabled:
            from demo.personas import PERSONAS

            self.people = [{"ref": ref, "label": label} for ref, label in PERSONAS]
        else:
            self.people = []

    def known(self, ref: str) -> bool:
        return any(p["ref"] == ref for p in self.people)

    def cookie_value(self, ref: str) -> str:
        return f"{ref}|{self._sign(ref)}"

    def chosen(self, request: Request) -> str | None:
        """The demo person this browser chose, if the cookie is ours and names one of them."""
        if not self.enabled:
            return None
        ref, _, signature = (request.cookies.get(COOKIE) or "").rpartition("|")
        if ref and self.known(ref) and hmac.compare_digest(signature, self._sign(ref)):
            return ref
        return None

    def _sign(self, ref: str) -> str:
        return hmac.new(self._key, ref.encode(), hashlib.sha256).hexdigest()
