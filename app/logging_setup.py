"""Process logging: ``[YYYY-MM-DD HH:MM:SS] [LEVEL] message`` or one JSON object a line.

Lines about something that happened go through :func:`log_event`: a stable event name and its
fields (``job_id``, ``job_type``, ``attempt``, ``duration_ms``, …). The text format shows them as
``event k=v …``; the JSON format makes each one a key.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

from app.settings import Settings

TEXT_FORMAT = "[%(asctime)s] [%(levelname)s] %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
#: Keys of the JSON line that an event's fields may not replace.
_RESERVED = frozenset({"ts", "level", "logger", "pid", "msg", "exc", "event"})


def _text(value: Any) -> str:
    return format(value, ".6g") if isinstance(value, float) else str(value)


def log_event(
    logger: logging.Logger, level: int, event: str, /, *, exc_info: bool = False, **fields: Any
) -> None:
    """Log ``event`` with its fields (None values are left out)."""
    if not logger.isEnabledFor(level):
        return
    kept = {k: v for k, v in fields.items() if v is not None}
    text = " ".join([event, *(f"{k}={_text(v)}" for k, v in kept.items())])
    logger.log(level, "%s", text, exc_info=exc_info, extra={"event": event, "fields": kept})


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg (and exc when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "msg": record.getMessage(),
        }
        event = getattr(record, "event", None)
        if event is not None:
            doc["event"] = event
            fields = getattr(record, "fields", {})
            doc.update({k: v for k, v in fields.items() if k not in _RESERVED})
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


def configure_logging(settings: Settings | None, *, level: str | None = None) -> None:
    """Format the root logger's handlers (adding one on stdout if there is none)."""
    fmt_json = settings is not None and settings.log_format == "json"
    formatter: logging.Formatter = (
        JsonFormatter() if fmt_json else logging.Formatter(TEXT_FORMAT, DATE_FORMAT)
    )
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stdout))
    for existing in root.handlers:
        existing.setFormatter(formatter)
    root.setLevel(level or (settings.log_level if settings else "INFO"))
    if settings is None or not settings.db_debug:
        logging.getLogger("dramatiq_pg").setLevel(logging.WARNING)
