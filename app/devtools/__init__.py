"""Developer tools, never used by the bridge or the workers in production: the embedded
PostgreSQL, the dev/test copy of the backend's tables, the demo and ``python -m app run``.

``DEVTOOLS_SQL`` holds their named SQL blocks (``app/devtools/*.sql``).
"""

from __future__ import annotations

from pathlib import Path

from app.sql import SqlFiles

DEVTOOLS_SQL = SqlFiles(Path(__file__).parent)
