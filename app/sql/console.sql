-- The operator console (python -m app console). It reads, it does not compete: every read runs in
-- a read-only transaction with short statement and lock timeouts, walks the backend's indexes
-- (EXPLAINed on 1,000,000 rows in tests/console/test_plans.py) and never sorts the table. Its
-- actions reuse the operator CLI's statements (ops.sql, client.sql) and sign the job's log.

-- name: console_read_only
SET TRANSACTION READ ONLY;
SELECT set_config('statement_timeout', %(statement_timeout_ms)s::text, true),
       set_config('lock_timeout', %(lock_timeout_ms)s::text, true);

-- name: console_write_limits
SELECT set_config('statement_timeout', %(statement_timeout_ms)s::text, true),
       set_config('lock_timeout', %(lock_timeout_ms)s::text, true);

-- name: console_health
SELECT 1 AS ok;

-- name: console_privileges
-- May this role act (requeue, cancel, pause)? A read-only role gets the pages without buttons.
SELECT has_table_privilege('jobs', 'UPDATE') AND has_table_privilege('jobs', 'SELECT')
       AND has_table_privilege('dramatiq.finapilot_paused', 'INSERT')
       AND has_table_privilege('dramatiq.finapilot_paused', 'DELETE') AS can_act;

-- name: console_schema_ready
-- The worker's objects the console reads exist (created by any process of this release).
SELECT to_regclass('dramatiq.finapilot_paused') IS NOT NULL
       AND to_regclass('dramatiq.finapilot_workers') IS NOT NULL
       AND to_regprocedure('dramatiq.finapilot_status_priorities(text[])') IS NOT NULL
       AND to_regprocedure('dramatiq.finapilot_error_pattern(text)') IS NOT NULL
       AND to_regprocedure('dramatiq.finapilot_uuid(text)') IS NOT NULL AS ready;

-- Overview ------------------------------------------------------------------------------------

-- name: console_overview_active
-- Waiting and running jobs by type, queue and status (all of them: small sets, read through
-- jobs_status_idx), with how many are runnable now and since when the oldest is due.
SELECT coalesce(a.job_type, '') AS job_type, coalesce(a.queue, '') AS queue, a.status,
       count(*)::bigint AS n, count(*) FILTER (WHERE a.due)::bigint AS due,
       min(coalesce(a.next_run_at, a.created_at)) FILTER (WHERE a.due) AS oldest_due
  FROM (SELECT j.job_type, j.queue, j.status, j.next_run_at, j.created_at,
               j.status IN ('queued', 'retrying') AND j.cancel_requested = false
               AND (j.next_run_at IS NULL OR j.next_run_at <= now()) AS due
          FROM jobs j WHERE j.status IN ('queued', 'running', 'retrying')) a
 GROUP BY 1, 2, 3;

-- name: console_overview_ended
-- Ended jobs among those created since `since`, read once: by type and status, and per minute of
-- their end over the last hour (`hour_ago`). Each (status, priority) range of the backend's index
-- is read from `since` on, never the whole history; a job created before `since` that ended in
-- the last hour is not in the chart.
WITH ended AS MATERIALIZED (
  SELECT coalesce(j.job_type, '') AS job_type, sp.status, j.finished_at
    FROM dramatiq.finapilot_status_priorities(%(statuses)s::text[]) sp
    JOIN jobs j ON j.status = sp.status AND j.priority = sp.priority AND j.created_at >= %(since)s
)
SELECT job_type, status, NULL::timestamptz AS minute, count(*)::bigint AS n
  FROM ended GROUP BY 1, 2
UNION ALL
SELECT NULL, status, date_trunc('minute', finished_at), count(*)::bigint
  FROM ended WHERE finished_at >= %(hour_ago)s GROUP BY 2, 3;

-- name: console_workers
-- Live dramatiq worker processes and the jobs each runs now (jobs_worker_id_idx).
SELECT w.worker_id, w.hostname, w.pid, w.queues, w.threads, w.started_at, w.seen_at,
       extract(epoch FROM now() - w.seen_at)::float8 AS seen_s_ago,
       (SELECT count(*) FROM jobs j
         WHERE j.worker_id = w.worker_id AND j.status = 'running')::int AS running
  FROM dramatiq.finapilot_workers w
 WHERE w.seen_at > now() - make_interval(secs => %(presence_s)s)
 ORDER BY w.worker_id;

-- name: console_paused
SELECT kind, name, paused_by, paused_at FROM dramatiq.finapilot_paused ORDER BY kind, name;

-- name: console_job_types
-- The job types present in the table (a loose scan of jobs_job_type_idx: one probe per type).
WITH RECURSIVE t(job_type) AS (
  SELECT min(job_type) FROM jobs
  UNION ALL
  SELECT (SELECT min(j.job_type) FROM jobs j WHERE j.job_type > t.job_type)
    FROM t WHERE t.job_type IS NOT NULL
)
SELECT job_type FROM t WHERE job_type IS NOT NULL;

-- Jobs list -----------------------------------------------------------------------------------
-- Keyset paging newest first on (created_at, id): a page is the rows strictly below the cursor.
-- Three plans (app/console/jobs_list.py picks one): `window` merges the index's (status, priority)
-- ranges between `lo` and the cursor; `narrow` reads the few rows an indexed filter (type, org,
-- queue, status) selects and sorts them; `estimate` asks the planner how few those are.

-- name: console_jobs_window
SELECT x.* FROM dramatiq.finapilot_status_priorities(%(statuses)s::text[]) sp
 CROSS JOIN LATERAL (
   SELECT j.id::text AS id, j.job_type, j.org_id::text AS org_id, j.status, j.priority, j.queue,
          j.attempts, j.max_attempts, j.progress::float8 AS progress, j.created_at,
          j.finished_at, left(j.last_error, 160) AS last_error
     FROM jobs j
    WHERE j.status = sp.status AND j.priority = sp.priority
      AND j.created_at >= coalesce(%(lo)s::timestamptz, '-infinity')
      AND j.created_at <= coalesce(%(before_ts)s::timestamptz, 'infinity')
      AND (j.created_at, j.id) < (coalesce(%(before_ts)s::timestamptz, 'infinity'),
                                  coalesce(%(before_id)s::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
      AND (%(job_type)s::text IS NULL OR j.job_type = %(job_type)s)
      AND (%(queue)s::text IS NULL OR j.queue = %(queue)s)
      AND (%(org_id)s::uuid IS NULL OR j.org_id = %(org_id)s::uuid)
      AND (%(text)s::text IS NULL OR strpos(lower(j.last_error), lower(%(text)s)) > 0)
    ORDER BY j.created_at DESC, j.id DESC
    LIMIT %(limit)s) x
 ORDER BY x.created_at DESC, x.id DESC
 LIMIT %(limit)s;

-- name: console_jobs_window_rows
-- How many rows a window holds (index-only counts): the budget of one page's search.
SELECT coalesce(sum(c.n), 0)::bigint AS n
  FROM dramatiq.finapilot_status_priorities(%(statuses)s::text[]) sp
 CROSS JOIN LATERAL (
   SELECT count(*) AS n FROM jobs j
    WHERE j.status = sp.status AND j.priority = sp.priority
      AND j.created_at >= %(lo)s::timestamptz
      AND j.created_at <= coalesce(%(before_ts)s::timestamptz, 'infinity')) c;

-- name: console_jobs_oldest
SELECT min(c.created_at) AS oldest
  FROM dramatiq.finapilot_status_priorities(%(statuses)s::text[]) sp
 CROSS JOIN LATERAL (
   SELECT j.created_at FROM jobs j WHERE j.status = sp.status AND j.priority = sp.priority
    ORDER BY j.created_at LIMIT 1) c;

-- name: console_jobs_narrow
SELECT j.id::text AS id, j.job_type, j.org_id::text AS org_id, j.status, j.priority, j.queue,
       j.attempts, j.max_attempts, j.progress::float8 AS progress, j.created_at, j.finished_at,
       left(j.last_error, 160) AS last_error
  FROM jobs j
 WHERE (%(statuses)s::text[] IS NULL OR j.status = ANY(%(statuses)s::text[]))
   AND (%(job_type)s::text IS NULL OR j.job_type = %(job_type)s)
   AND (%(queue)s::text IS NULL OR j.queue = %(queue)s)
   AND (%(org_id)s::uuid IS NULL OR j.org_id = %(org_id)s::uuid)
   AND (%(text)s::text IS NULL OR strpos(lower(j.last_error), lower(%(text)s)) > 0)
   AND j.created_at >= coalesce(%(lo)s::timestamptz, '-infinity')
   AND (j.created_at, j.id) < (coalesce(%(before_ts)s::timestamptz, 'infinity'),
                               coalesce(%(before_id)s::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
 ORDER BY j.created_at DESC, j.id DESC
 LIMIT %(limit)s;

-- name: console_jobs_estimate
-- The planner's estimate of the rows the indexed filters select (planning only, nothing runs).
EXPLAIN (FORMAT JSON)
SELECT 1 FROM jobs j
 WHERE (%(statuses)s::text[] IS NULL OR j.status = ANY(%(statuses)s::text[]))
   AND (%(job_type)s::text IS NULL OR j.job_type = %(job_type)s)
   AND (%(queue)s::text IS NULL OR j.queue = %(queue)s)
   AND (%(org_id)s::uuid IS NULL OR j.org_id = %(org_id)s::uuid);

-- Job detail ----------------------------------------------------------------------------------

-- name: console_monte_carlo_result
-- The percentile series of a finished simulation (the fan chart), scoped to the job's org.
SELECT m.id::text, m.status, m.num_simulations,
       m.percentiles_json -> 'percentiles_table' -> 'months' AS months,
       m.percentiles_json -> 'series' AS series,
       m.percentiles_json -> 'survival_probability' -> 'overall' AS survival
  FROM monte_carlo_jobs m
 WHERE m.id = dramatiq.finapilot_uuid(%(ref)s) AND (%(org_id)s::uuid IS NULL OR m.org_id = %(org_id)s::uuid);

-- name: console_export_summary
SELECT e.id::text, e.type, e.status, e.s3_key IS NOT NULL AS in_s3,
       octet_length(e.file_data) AS size
  FROM exports e
 WHERE e.id = dramatiq.finapilot_uuid(%(ref)s) AND (%(org_id)s::uuid IS NULL OR e.org_id = %(org_id)s::uuid);

-- name: console_export_file
-- An export's file to download: its S3 key, or its bytes in the database; scoped to the job's org.
SELECT e.id::text, e.type, e.status, e.s3_key, e.file_data
  FROM exports e
 WHERE e.id = dramatiq.finapilot_uuid(%(ref)s) AND (%(org_id)s::uuid IS NULL OR e.org_id = %(org_id)s::uuid);

-- Dead letters --------------------------------------------------------------------------------

-- name: console_dead_groups
-- Dead letters ended since `since`, by type and error pattern (ids and numbers taken out).
SELECT coalesce(job_type, '') AS job_type, dramatiq.finapilot_error_pattern(last_error) AS pattern,
       count(*)::bigint AS n, min(finished_at) AS first_at, max(finished_at) AS last_at,
       (array_agg(id::text ORDER BY finished_at DESC NULLS LAST))[1] AS sample_id,
       (array_agg(left(last_error, 300) ORDER BY finished_at DESC NULLS LAST))[1] AS sample_error
  FROM jobs
 WHERE status = 'dead_letter' AND coalesce(finished_at, updated_at) >= %(since)s
 GROUP BY 1, 2
 ORDER BY n DESC, last_at DESC
 LIMIT 200;

-- name: console_dead_group_ids
SELECT id::text FROM jobs
 WHERE status = 'dead_letter' AND coalesce(job_type, '') = %(job_type)s
   AND dramatiq.finapilot_error_pattern(last_error) = %(pattern)s
   AND coalesce(finished_at, updated_at) >= %(since)s
 ORDER BY finished_at
 LIMIT %(limit)s;

-- Actions -------------------------------------------------------------------------------------

-- name: console_log_sign
-- Sign the entry the statement before wrote (ops_retry's "Requeued by operator") with who did it.
UPDATE jobs
   SET logs = jsonb_set(logs, '{-1,meta}',
                        coalesce(logs -> -1 -> 'meta', '{}'::jsonb)
                        || jsonb_build_object('by', %(actor)s::text, 'via', 'console'))
 WHERE id = ANY(%(job_ids)s::uuid[]) AND jsonb_typeof(logs) = 'array'
   AND logs -> -1 ->> 'msg' = %(msg)s
RETURNING id::text;

-- name: console_log_action
-- One log entry for an operator's action, with who did it.
UPDATE jobs
   SET logs = dramatiq.finapilot_log_append(
                logs, dramatiq.finapilot_log_entry('warn', %(msg)s,
                        jsonb_build_object('by', %(actor)s::text, 'via', 'console')
                        || %(meta)s::jsonb), %(max_entries)s),
       updated_at = greatest(updated_at, clock_timestamp())
 WHERE id = %(job_id)s::uuid
RETURNING id::text;

-- name: console_pause
INSERT INTO dramatiq.finapilot_paused (kind, name, paused_by)
VALUES (%(kind)s, %(name)s, %(actor)s)
ON CONFLICT (kind, name) DO NOTHING
RETURNING kind, name;

-- name: console_resume
DELETE FROM dramatiq.finapilot_paused WHERE kind = %(kind)s AND name = %(name)s
RETURNING kind, name;
