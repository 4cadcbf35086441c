"""Process logging: text for people, or one JSON object per line for a log pipeline, secrets redacted.

Every record is already redacted when it is made (:func:`agent.redact.install_log_redaction`); the
JSON formatter redacts the message and traceback again as it writes them, so a record made before
that factory was installed (or by a handler formatting its own arguments) cannot carry a token out.
A line written inside a traced span carries its ``trace_id`` and ``span_id``.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from opentelemetry import trace

from agent.redact import redact_text

if TYPE_CHECKING:
    from contract.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message"[, "exception"][, "trace_id", "span_id"]}`` per record."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact_text(record.getMessage()),
        }
        if record.exc_info:
            out["exception"] = redact_text(record.exc_text or self.formatException(record.exc_info))
        elif record.exc_text:
            out["exception"] = redact_text(record.exc_text)
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            out["trace_id"] = f"{span.trace_id:032x}"
            out["span_id"] = f"{span.span_id:016x}"
        return json.dumps(out, ensure_ascii=False)


def configure_logging(settings: Settings, stream=None) -> logging.Handler:
    """One handler on the root logger, in ``settings.log_format``, at ``settings.log_level``.

    Replaces the root's handlers, so uvicorn's and Bolt's loggers (which propagate to the root when
    uvicorn is given no log config) come out in the same format. Returns the handler.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    return handler
