"""Scrub secrets from anything that leaves the process: answers, log lines, the audit log.

Redaction is by key (``token``, ``password``, ``data`` of a Kubernetes Secret…) and by value shape
(Slack, GitHub, OpenAI, AWS, bearer tokens, private keys), so that a secret that slipped into a
tool result is still caught on the way out.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "[redacted]"

SECRET_KEY = re.compile(
    r"(pass(word)?|secret|token|api[_-]?key|private[_-]?key|credential|authorization|signing|cookie)",
    re.IGNORECASE,
)
SECRET_VALUE = re.compile(
    r"(xox[abposr]-[A-Za-z0-9-]{8,}"  # Slack
    r"|xapp-[A-Za-z0-9-]{8,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}"  # GitHub
    r"|github_pat_[A-Za-z0-9_]{20,}"
    r"|sk-[A-Za-z0-9_-]{20,}"  # OpenAI-style
    r"|AKIA[0-9A-Z]{16}"  # AWS access key id
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{12,}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----)"
)


def redact_text(text: str) -> str:
    return SECRET_VALUE.sub(MASK, text)


def redact(value: Any, *, _key: str | None = None) -> Any:
    """A copy of ``value`` with secret-looking keys masked and secret-shaped strings replaced."""
    if _key is not None and SECRET_KEY.search(_key) and isinstance(value, str | bytes) and value:
        return MASK
    if isinstance(value, dict):
        return {k: redact(v, _key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
