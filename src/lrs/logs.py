"""Structured logs: every line carries the request id of the request it belongs to.

``LRS_LOG_FORMAT=json`` writes one JSON object per line (``time``, ``level``, ``logger``, ``message``,
``request_id`` and the access fields); anything else writes readable text with the request id in brackets.
No Flask here: the HTTP layer (lrs.api.observability) sets the id for the request in progress.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

#: The id of the request this thread is handling ("-" outside a request).
current_request_id: ContextVar[str] = ContextVar("lrs_request_id", default="-")

#: Extra fields an access-log record carries (set with ``extra=``), copied into the JSON line.
ACCESS_FIELDS = ("method", "path", "route", "status", "duration_ms", "remote_addr", "bytes")


class RequestIdFilter(logging.Filter):
    """Gives every record a ``request_id`` attribute (the current request's, or "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; an exception's traceback goes in ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", current_request_id.get()),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def make_handler(log_format: str = "text") -> logging.Handler:
    """A standard-error handler in the format ``LRS_LOG_FORMAT`` names (``json`` or text; lrs.config.Settings)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format.lower() == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(log_format: str = "text", log_level: str = "INFO") -> None:
    """Send the ``lrs`` loggers (the access log ``lrs.access`` included) to standard error, once per process."""
    logger = logging.getLogger("lrs")
    if any(getattr(h, "lrs_handler", False) for h in logger.handlers):
        return
    handler = make_handler(log_format)
    handler.lrs_handler = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(log_level.upper())
    logger.propagate = False
