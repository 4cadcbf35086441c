"""Scrub secrets from anything that leaves the process: answers, events, log lines, the audit log.

Logs and events from real clusters carry secrets in many shapes, so redaction works three ways:

- by **name**: a value whose key names a secret (``DB_PASSWORD``, ``client_secret``, ``apiKey``,
  ``AWS_SECRET_ACCESS_KEY``) is masked, in dicts and in text (``KEY=value``, ``KEY: value``, JSON
  ``"key": "value"``, Kubernetes env entries ``{name: X, value: Y}``). A name counts only when it
  *ends* in a secret word, so ``token_budget: 3000`` and ``password_policy`` are left alone;
- by **place**: the password of a URL (``postgres://app:[redacted]@db/x``), the credentials of an
  ``Authorization`` header, the ``data`` of a Kubernetes Secret;
- by **shape**: Slack, GitHub, OpenAI, AWS access key ids, JWTs, PEM private keys, ``Basic``
  credentials, bearer tokens, wherever they appear.

:func:`install_log_redaction` applies :func:`redact_text` to every log record of the process.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
from typing import Any

MASK = "[redacted]"

# --- names --------------------------------------------------------------------------------------
SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "pwd",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "credential",
        "credentials",
        "authorization",
        "cookie",
        "jwt",
        "dsn",
    }
)
# The last word qualified by the one before: an "api key", not any "key" (``primary_key``, ``key``).
SECRET_PAIRS = frozenset(
    {
        ("api", "key"),
        ("api", "keys"),
        ("private", "key"),
        ("secret", "key"),
        ("access", "key"),
        ("signing", "key"),
        ("encryption", "key"),
        ("master", "key"),
        ("account", "key"),
        ("session", "key"),
        ("license", "key"),
        ("api", "tokens"),
        ("access", "tokens"),
        ("auth", "tokens"),
        ("refresh", "tokens"),
        ("secret", "keys"),
        ("client", "secrets"),
    }
)
# Secret words that end a name written as one word: PGPASSWORD, mytoken, githubapikey.
SECRET_SUFFIXES = ("password", "passwd", "passphrase", "secret", "token", "apikey", "credential", "credentials")
NAME_PARTS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def secret_name(name: str) -> bool:
    """Whether ``name`` (an env var, a config or JSON key, a header) names a secret."""
    words = [w.lower() for w in NAME_PARTS.findall(name)]
    if not words:
        return False
    last = words[-1]
    if last == "pwd" and len(words) == 1:  # $PWD is the working directory
        return False
    if last in SECRET_WORDS or last.endswith(SECRET_SUFFIXES):
        return True
    return len(words) > 1 and (words[-2], last) in SECRET_PAIRS


# --- shapes -------------------------------------------------------------------------------------
SECRET_VALUE = re.compile(
    r"(xox[abposre]-[A-Za-z0-9-]{8,}"  # Slack
    r"|xapp-[A-Za-z0-9-]{8,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}"  # GitHub
    r"|github_pat_[A-Za-z0-9_]{20,}"
    r"|glpat-[A-Za-z0-9_-]{20,}"  # GitLab
    r"|sk-[A-Za-z0-9_-]{20,}"  # OpenAI-style
    r"|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe
    r"|npm_[A-Za-z0-9]{36}"
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API key
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key id
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"  # JWT: {"alg"…}.{"sub"…}.signature
    r"|-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----(?:[\s\S]*?-----END \2PRIVATE KEY-----|[A-Za-z0-9+/=\s\\]*))"
)
# "Authorization: Basic …", "Proxy-Authorization: Bearer …", "authorization=token …": keep the scheme.
AUTH_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:(?:basic|bearer|token|digest|negotiate|apikey)\s+)?)"
    r"([^\s\"',;]+)"
)
COOKIE_HEADER = re.compile(r"(?im)\b((?:set-)?cookie:[ \t]*)([^\r\n\"]+)")
BEARER = re.compile(r"(?i)\b(bearer\s+)([A-Za-z0-9._~+/=-]{12,})")
BASIC = re.compile(r"(?i)\b(basic\s+)([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])")
# scheme://user:password@host — the password only, so the user and host stay readable.
URL_PASSWORD = re.compile(r"\b([a-z][a-z0-9+.-]*+://[^\s/:@\"']*+:)([^\s@/\"']++)(@)", re.I)
# KEY=value, KEY: value, "key": "value", key='value' (also inside JSON-escaped text: \"key\": \"value\").
# Names start at a word boundary and are matched possessively: no backtracking over long blobs.
QUOTE = r"(?:\\?[\"'])"
NAME = r"(?<![A-Za-z0-9_.-])(?P<name>[A-Za-z_][A-Za-z0-9_.-]*+)"
VALUE = (
    r"(?:\"(?P<dq>(?:\\.|[^\"\\\n]){1,4096}+)\""  # "double quoted", with its escapes
    r"|'(?P<sq>[^'\n]{1,4096}+)'"  # 'single quoted'
    r"|\\\"(?P<eq>(?:(?!\\\").){1,4096}+)\\\""  # \"quoted inside a JSON string\"
    r"|(?P<bare>[^\s\"',;}\]\\&]++))"
)
VALUE_GROUPS = ("dq", "sq", "eq", "bare")
PAIR = re.compile(rf"(?P<lead>(?P<q>{QUOTE})?{NAME}(?P=q)?[ \t]*(?:=|:(?!//))[ \t]*){VALUE}")
# Kubernetes env entries: {name: DB_PASSWORD, value: hunter2}, {"name":"X","value":"Y"}, YAML lists.
SPACE = r"(?:\s|\\[nrt])*"  # whitespace, also escaped inside JSON text
ENV_ENTRY = re.compile(
    rf"(?P<lead>{QUOTE}?name{QUOTE}?{SPACE}[:=]{SPACE}{QUOTE}?{NAME}{QUOTE}?{SPACE},?{SPACE}(?:-{SPACE})?"
    rf"{QUOTE}?value{QUOTE}?{SPACE}[:=]{SPACE}){VALUE}"
)
# Values that are not secrets even under a secret's name: references, placeholders, empty markers.
NOT_A_VALUE = re.compile(
    r"^(?:\$\{|\$\(|\{\{|<|\[redacted|\*+$|null$|none$|true$|false$|~$|(?:basic|bearer|token|digest)$)", re.I
)


def redact_text(text: str) -> str:
    """``text`` with every secret it holds replaced by ``[redacted]``."""
    if not text:
        return text
    text = SECRET_VALUE.sub(MASK, text)
    text = URL_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    text = AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)
    text = COOKIE_HEADER.sub(lambda m: m.group(1) + MASK, text)
    text = BEARER.sub(lambda m: m.group(1) + MASK, text)
    text = BASIC.sub(_basic, text)
    text = ENV_ENTRY.sub(_masked_pair, text)
    return PAIR.sub(_masked_pair, text)


def _basic(m: re.Match[str]) -> str:
    """``Basic <base64 of user:password>``; "basic authentication" in prose is not one."""
    try:
        decoded = base64.b64decode(m.group(2) + "=" * (-len(m.group(2)) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return m.group(0)
    return m.group(1) + MASK if ":" in decoded and decoded.isprintable() else m.group(0)


def _masked_pair(m: re.Match[str]) -> str:
    """The pair with its value masked when its name is a secret's; otherwise the value is searched
    too (``"log": "DB_PASSWORD=hunter2 …"`` and ``boot: DB_PASSWORD=hunter2`` hold a pair of their own)."""
    group = next(g for g in VALUE_GROUPS if m.group(g) is not None)
    value = m.group(group)
    secret = secret_name(m.group("name")) and not NOT_A_VALUE.match(value)
    replacement = MASK if secret else redact_text(value)  # the value is shorter than the match: recursion ends
    start, end = m.start(group) - m.start(), m.end(group) - m.start()
    whole = m.group(0)
    return whole[:start] + replacement + whole[end:]


def redact(value: Any, *, _key: str | None = None) -> Any:
    """A copy of ``value`` with secret-named values masked and secrets in strings replaced."""
    if _key is not None and secret_name(_key) and isinstance(value, str | bytes) and value:
        return MASK
    if isinstance(value, dict):
        return _redact_dict(value)
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def _redact_dict(value: dict) -> dict:
    out = {k: redact(v, _key=str(k)) for k, v in value.items()}
    # A Kubernetes env entry: the secret is named by a sibling key, not by the value's own key.
    name = value.get("name")
    if isinstance(name, str) and secret_name(name) and isinstance(value.get("value"), str) and value["value"]:
        out["value"] = MASK
    # A Kubernetes Secret: everything under data/stringData is secret, whatever its key.
    if value.get("kind") == "Secret":
        for key in ("data", "stringData"):
            if isinstance(value.get(key), dict):
                out[key] = {k: MASK for k in value[key]}
    return out


# --- logging --------------------------------------------------------------------------------------
_install_lock = threading.Lock()
_installed = False


def install_log_redaction() -> None:
    """Redact every log record this process creates, whichever logger or handler it goes to.

    A record factory rather than a handler filter: handlers come and go (uvicorn, the CLI, Slack
    Bolt configure their own), but every record is made by the factory. The message is formatted
    once, redacted, and the arguments dropped; a traceback is formatted and redacted too.
    Idempotent: the agent's runtime calls it whenever one is built.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging reports it later, with the raw message
        return
    record.msg, record.args = redact_text(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)
