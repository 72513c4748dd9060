"""DEV/TEST ONLY: the backend's tables on an empty database (``dev_backend.sql``).

Called by the embedded default and the test fixtures, never by the bridge or the workers: in
production the Node backend owns these tables.
"""

from __future__ import annotations

import psycopg2.extensions

from app.devtools import DEVTOOLS_SQL


def apply_dev_backend_schema(conn: psycopg2.extensions.connection) -> None:
    """Create the backend's tables (the dev copy) and commit."""
    with conn.cursor() as cur:
        cur.execute(DEVTOOLS_SQL.script("dev_backend.sql"))
    conn.commit()
