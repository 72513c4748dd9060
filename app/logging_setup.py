"""Process logging: ``[YYYY-MM-DD HH:MM:SS] [LEVEL] message`` or one JSON object a line."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys

from app.settings import Settings

TEXT_FORMAT = "[%(asctime)s] [%(levelname)s] %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


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
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


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
