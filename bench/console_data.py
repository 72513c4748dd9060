"""A jobs table as production grows it, for the console's benchmark and plan checks.

``fill_jobs(url, n)`` inserts ``n`` jobs over the last 30 days in one statement: most completed,
some dead-lettered, cancelled, failed (legacy), retrying, running and queued; the types, queues and
priorities of the registry; 2,000 orgs, a few of them busy; logs in the backend's format with a
parameter entry; ``last_error`` texts of a few kinds with ids in them. Then ``ANALYZE``, as
autovacuum would.
"""

from __future__ import annotations

import psycopg2

from app.jobtypes import REGISTRY

#: (status, share of the rows) — cumulative thresholds are computed in SQL.
STATUS_MIX: tuple[tuple[str, float], ...] = (
    ("completed", 0.930),
    ("dead_letter", 0.020),
    ("cancelled", 0.015),
    ("failed", 0.005),
    ("retrying", 0.003),
    ("running", 0.002),
    ("queued", 0.025),
)
#: (job type, share): the busy types first.
TYPE_MIX: tuple[tuple[str, float], ...] = (
    ("model_run", 0.35),
    ("monte_carlo", 0.15),
    ("export_pdf", 0.10),
    ("csv_import", 0.10),
    ("alert_check", 0.10),
    ("export_pptx", 0.05),
    ("export_csv", 0.05),
    ("auto_model_trigger", 0.05),
    ("xlsx_import", 0.03),
    ("provenance_export", 0.02),
)
ORGS = 2_000
DAYS = 30
ERRORS: tuple[str, ...] = (
    "NotFound: model run {id} not found in the job's org",
    "InvalidParams: numSimulations must be an integer",
    "InsufficientData: no recorded level for baselineRevenue",
    "LeaseExpired: worker worker-web-{n}-1 stopped heartbeating",
    "Quarantined: the job stopped its worker 3 times (last: worker-web-{n}-7); not retried",
    "StorageError: S3 put_object timed out after 5 attempts",
    "Forbidden: user {id} has no finance role in the job's org",
    "Cancelled: cancelled while waiting",
)

FILL_SQL = """
WITH mix AS (
  SELECT * FROM jsonb_to_recordset(%(statuses)s::jsonb) AS s(status text, hi float8)
), types AS (
  SELECT * FROM jsonb_to_recordset(%(types)s::jsonb)
           AS t(job_type text, hi float8, queue text, priority int)
), errors AS (
  SELECT e.text, e.i - 1 AS i FROM unnest(%(errors)s::text[]) WITH ORDINALITY AS e(text, i)
), orgs AS (
  SELECT array_agg(id ORDER BY id) AS ids FROM orgs
), g AS (
  SELECT g, random() AS rs, random() AS rt, random() AS rp, random() AS ro,
         now() - make_interval(secs => random() * %(days)s * 86400) AS created
    FROM generate_series(1, %(n)s) AS g
), rows AS (
  SELECT g.*, (SELECT m.status FROM mix m WHERE m.hi >= g.rs ORDER BY m.hi LIMIT 1) AS status,
         t.job_type, t.queue, t.priority,
         to_char(g.created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts,
         1 + floor(power(g.ro, 3) * %(orgs)s)::int AS org_i
    FROM g
    CROSS JOIN LATERAL (SELECT * FROM types t WHERE t.hi >= g.rt ORDER BY t.hi LIMIT 1) t
)
INSERT INTO jobs (job_type, org_id, object_id, status, progress, logs, created_at, updated_at,
                  priority, queue, attempts, max_attempts, last_error, next_run_at, worker_id,
                  run_started_at, visibility_expires_at, finished_at)
SELECT r.job_type,
       o.ids[least(r.org_i, array_length(o.ids, 1))],
       gen_random_uuid(), r.status,
       CASE WHEN r.status = 'completed' THEN 100 WHEN r.status = 'running' THEN 40 ELSE 0 END,
       jsonb_build_array(
         jsonb_build_object('ts', r.ts,
                            'level', 'info', 'msg', 'Job created',
                            'meta', jsonb_build_object('jobType', r.job_type, 'queue', r.queue,
                                                       'priority', r.priority)),
         jsonb_build_object('ts', r.ts,
                            'level', 'info', 'msg', 'Job parameters set',
                            'meta', jsonb_build_object('params', jsonb_build_object(
                              'modelRunId', gen_random_uuid(), 'numSimulations', 2000,
                              'note', repeat('x', 200)))),
         jsonb_build_object('ts', r.ts,
                            'level', 'info', 'msg', 'Job started', 'meta', '{}'::jsonb)),
       r.created,
       r.created + interval '30 seconds',
       CASE WHEN r.rp < 0.9 THEN r.priority ELSE r.priority + 10 END,
       r.queue,
       CASE WHEN r.status IN ('dead_letter', 'failed') THEN 5
            WHEN r.status = 'retrying' THEN 2 ELSE 1 END,
       5,
       CASE WHEN r.status IN ('dead_letter', 'failed', 'retrying', 'cancelled')
            THEN replace(replace((SELECT e.text FROM errors e WHERE e.i = (r.g %% %(n_errors)s)),
                                 '{id}', gen_random_uuid()::text),
                         '{n}', (r.g %% 97)::text) END,
       CASE WHEN r.status = 'retrying' THEN now() + interval '2 minutes' END,
       CASE WHEN r.status = 'running' THEN 'worker-web-' || (r.g %% 7) || '-1' END,
       CASE WHEN r.status = 'running' THEN now() - interval '20 seconds' END,
       CASE WHEN r.status = 'running' THEN now() + interval '25 seconds' END,
       CASE WHEN r.status IN ('completed', 'dead_letter', 'cancelled', 'failed')
            THEN r.created + interval '30 seconds' END
  FROM rows r CROSS JOIN orgs o
"""


def _cumulative(mix: tuple[tuple[str, float], ...]) -> list[tuple[str, float]]:
    total, out = 0.0, []
    for name, share in mix:
        total += share
        out.append((name, total))
    out[-1] = (out[-1][0], 1.0)
    return out


def fill_jobs(url: str, n: int, *, batch: int = 200_000) -> None:
    """Insert ``n`` jobs (and the orgs they belong to), then ANALYZE."""
    statuses = [{"status": s, "hi": hi} for s, hi in _cumulative(STATUS_MIX)]
    types = [
        {
            "job_type": t,
            "hi": hi,
            "queue": REGISTRY[t].queue,
            "priority": REGISTRY[t].priority,
        }
        for t, hi in _cumulative(TYPE_MIX)
    ]
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO orgs (name) SELECT 'Org ' || g FROM generate_series(1, %s) AS g",
                (ORGS,),
            )
            done = 0
            while done < n:
                step = min(batch, n - done)
                cur.execute(
                    FILL_SQL,
                    {
                        "statuses": psycopg2.extras.Json(statuses),
                        "types": psycopg2.extras.Json(types),
                        "errors": list(ERRORS),
                        "n_errors": len(ERRORS),
                        "days": DAYS,
                        "orgs": ORGS,
                        "n": step,
                    },
                )
                conn.commit()
                done += step
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE jobs")
    finally:
        conn.close()
