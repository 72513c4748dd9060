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
WITH p AS (
  SELECT %(status_names)s::text[] AS sn, %(status_bounds)s::float8[] AS sb,
         %(type_names)s::text[] AS tn, %(type_bounds)s::float8[] AS tb,
         %(type_queues)s::text[] AS tq, %(type_priorities)s::int[] AS tp,
         %(errors)s::text[] AS errs, (SELECT array_agg(id ORDER BY id) FROM orgs) AS org_ids
), g AS (
  SELECT g, random() AS rs, random() AS rt, random() AS rp, random() AS ro,
         now() - make_interval(secs => random() * %(days)s * 86400) AS created
    FROM generate_series(1, %(n)s) AS g
), rows AS (
  -- width_bucket: the share a random draw falls in (the cumulative upper bounds, last left out)
  SELECT g.*, p.sn[width_bucket(g.rs, p.sb) + 1] AS status,
         p.tn[width_bucket(g.rt, p.tb) + 1] AS job_type,
         p.tq[width_bucket(g.rt, p.tb) + 1] AS queue,
         p.tp[width_bucket(g.rt, p.tb) + 1] AS priority,
         p.errs[1 + g.g %% array_length(p.errs, 1)] AS error,
         p.org_ids[least(1 + floor(power(g.ro, 3) * array_length(p.org_ids, 1))::int,
                         array_length(p.org_ids, 1))] AS org_id,
         to_char(g.created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts
    FROM g CROSS JOIN p
)
INSERT INTO jobs (job_type, org_id, object_id, status, progress, logs, created_at, updated_at,
                  priority, queue, attempts, max_attempts, last_error, next_run_at, worker_id,
                  run_started_at, visibility_expires_at, finished_at)
SELECT r.job_type,
       r.org_id,
       gen_random_uuid(), r.status,
       CASE WHEN r.status = 'completed' THEN 100 WHEN r.status = 'running' THEN 40 ELSE 0 END,
       CASE WHEN %(full_logs)s THEN
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
                            'level', 'info', 'msg', 'Job started', 'meta', '{}'::jsonb))
       ELSE '[]'::jsonb END,
       r.created,
       r.created + interval '30 seconds',
       CASE WHEN r.rp < 0.9 THEN r.priority ELSE r.priority + 10 END,
       r.queue,
       CASE WHEN r.status IN ('dead_letter', 'failed') THEN 5
            WHEN r.status = 'retrying' THEN 2 ELSE 1 END,
       5,
       CASE WHEN r.status IN ('dead_letter', 'failed', 'retrying', 'cancelled')
            THEN replace(replace(r.error, '{id}', gen_random_uuid()::text),
                         '{n}', (r.g %% 97)::text) END,
       CASE WHEN r.status = 'retrying' THEN now() + interval '2 minutes' END,
       CASE WHEN r.status = 'running' THEN 'worker-web-' || (r.g %% 7) || '-1' END,
       CASE WHEN r.status = 'running' THEN now() - interval '20 seconds' END,
       CASE WHEN r.status = 'running' THEN now() + interval '25 seconds' END,
       CASE WHEN r.status IN ('completed', 'dead_letter', 'cancelled', 'failed')
            THEN r.created + interval '30 seconds' END
  FROM rows r
"""


INDEXES_SQL = """
SELECT indexname, indexdef FROM pg_indexes
 WHERE tablename = 'jobs' AND schemaname = current_schema() AND indexname <> 'jobs_pkey'
"""


def _names(definitions: list[str]) -> list[str]:
    return [d.split(" INDEX ", 1)[1].split(" ON ", 1)[0].strip('"') for d in definitions]


def _cumulative(mix: tuple[tuple[str, float], ...]) -> list[tuple[str, float]]:
    total, out = 0.0, []
    for name, share in mix:
        total += share
        out.append((name, total))
    out[-1] = (out[-1][0], 1.0)
    return out


def fill_jobs(url: str, n: int, *, batch: int = 200_000, full_logs: bool = True) -> None:
    """Insert ``n`` jobs (and the orgs they belong to), then ANALYZE. ``full_logs=False`` leaves
    the logs empty: a narrower table, on which a sequential scan looks cheaper to the planner."""
    statuses, types = _cumulative(STATUS_MIX), _cumulative(TYPE_MIX)
    mix = {
        "status_names": [name for name, _ in statuses],
        "status_bounds": [bound for _, bound in statuses[:-1]],
        "type_names": [name for name, _ in types],
        "type_bounds": [bound for _, bound in types[:-1]],
        "type_queues": [REGISTRY[name].queue for name, _ in types],
        "type_priorities": [REGISTRY[name].priority for name, _ in types],
        "errors": list(ERRORS),
    }
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO orgs (name) SELECT 'Org ' || g FROM generate_series(1, %s) AS g",
                (ORGS,),
            )
            # The backend's indexes are built once after the insert (a sorted build), not kept
            # up row by row: the same indexes, several times faster to fill.
            cur.execute(INDEXES_SQL)
            indexes = [r[1] for r in cur.fetchall()]
            for name in _names(indexes):
                cur.execute(f'DROP INDEX "{name}"')
            done = 0
            while done < n:
                step = min(batch, n - done)
                cur.execute(
                    FILL_SQL,
                    {
                        **mix,
                        "days": DAYS,
                        "full_logs": full_logs,
                        "n": step,
                    },
                )
                conn.commit()
                done += step
            for definition in indexes:
                cur.execute(definition)
            conn.commit()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE jobs")
    finally:
        conn.close()
