-- The operator CLI (python -m app jobs …): what the seed made operators do with SQL by hand.
--
-- The listing blocks take the CLI's filters (app.operator_cli.JobFilter.params()): `types`, and
-- `statuses`, `org_id`, `since` (on created_at), each NULL when not given. The client binds
-- parameters as literals, so a NULL filter folds away at planning and a given one stays a plain
-- comparison that the backend's indexes serve (jobs_job_type_idx, jobs_status_idx,
-- "jobs_orgId_idx"); no column is wrapped in a function or cast.

-- name: ops_counts

SELECT coalesce(job_type, '') AS job_type, coalesce(queue, '') AS queue, status, count(*)::bigint AS n
  FROM jobs
 WHERE job_type = ANY(%(types)s)
   AND (%(statuses)s::text[] IS NULL OR status = ANY(%(statuses)s::text[]))
   AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
   AND (%(since)s::timestamptz IS NULL OR created_at >= %(since)s::timestamptz)
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- name: ops_in_flight

SELECT coalesce(worker_id, '') AS worker_id, count(*)::bigint AS running,
       min(run_started_at) AS oldest_start
  FROM jobs
 WHERE status = 'running' AND job_type = ANY(%(types)s)
   AND (%(statuses)s::text[] IS NULL OR status = ANY(%(statuses)s::text[]))
   AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
   AND (%(since)s::timestamptz IS NULL OR created_at >= %(since)s::timestamptz)
 GROUP BY 1 ORDER BY 2 DESC;

-- name: ops_recent

SELECT id::text, job_type, org_id::text, status, progress::float8 AS progress, attempts,
       max_attempts, queue, priority, created_at, run_started_at, finished_at,
       extract(epoch FROM coalesce(finished_at, clock_timestamp()) - run_started_at)::float8
         AS took_s,
       left(last_error, 200) AS last_error
  FROM jobs
 WHERE job_type = ANY(%(types)s)
   AND (%(statuses)s::text[] IS NULL OR status = ANY(%(statuses)s::text[]))
   AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
   AND (%(since)s::timestamptz IS NULL OR created_at >= %(since)s::timestamptz)
 ORDER BY created_at DESC LIMIT %(limit)s;

-- name: ops_stuck

SELECT id::text, job_type, org_id::text, worker_id, run_started_at, visibility_expires_at,
       attempts, max_attempts,
       extract(epoch FROM now() - visibility_expires_at)::float8 AS expired_for_s
  FROM jobs
 WHERE status = 'running' AND job_type = ANY(%(types)s) AND visibility_expires_at < now()
   AND (%(statuses)s::text[] IS NULL OR status = ANY(%(statuses)s::text[]))
   AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
   AND (%(since)s::timestamptz IS NULL OR created_at >= %(since)s::timestamptz)
 ORDER BY visibility_expires_at;

-- name: ops_show

-- The row with its logs; parameter payloads are summarised, never printed (they may hold files).
SELECT id::text, job_type, org_id::text, object_id::text, status, progress::float8 AS progress,
       attempts, max_attempts, priority, queue, last_error, worker_id, created_at, updated_at,
       run_started_at, visibility_expires_at, next_run_at, finished_at, cancel_requested,
       idempotency_key,
       dramatiq.finapilot_domain_ref(%(domain_refs)s::jsonb, job_type, object_id,
                                     dramatiq.finapilot_job_params(logs)) AS domain_ref,
       (SELECT coalesce(jsonb_agg(CASE WHEN dramatiq.finapilot_is_param_entry(e.value)
                   THEN (e.value - 'params') || jsonb_build_object('meta', jsonb_build_object(
                          'params', '(' || (SELECT count(*) FROM jsonb_object_keys(
                             coalesce(e.value -> 'meta' -> 'params', e.value -> 'params'))) || ' keys hidden)'))
                   ELSE e.value END ORDER BY e.ordinality), '[]'::jsonb)
          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(logs) = 'array' THEN logs
                                         ELSE '[]'::jsonb END) WITH ORDINALITY e) AS logs
  FROM jobs WHERE id = %(job_id)s::uuid;

-- name: ops_retry

-- The backend's admin requeue (§4.7): queued, attempts 0, lease, error and cancel cleared.
UPDATE jobs
   SET status = 'queued', attempts = 0, last_error = NULL, next_run_at = NULL, worker_id = NULL,
       run_started_at = NULL, visibility_expires_at = NULL, finished_at = NULL,
       cancel_requested = false, progress = 0, updated_at = greatest(updated_at, statement_timestamp()),
       logs = dramatiq.finapilot_log_append(
                logs, dramatiq.finapilot_log_entry('warn', 'Requeued by operator',
                        jsonb_build_object('previousStatus', status)), %(max_entries)s)
 WHERE id = ANY(%(job_ids)s::uuid[]) AND status IN ('dead_letter', 'failed', 'cancelled', 'retrying')
RETURNING id::text, job_type;

-- name: ops_dead_since

SELECT id::text FROM jobs
 WHERE status = 'dead_letter' AND job_type = %(job_type)s AND finished_at >= %(since)s
   AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
 ORDER BY finished_at;

-- name: ops_job_by_id_prefix

-- A job id as the operator typed it: the whole UUID, or a leading part of it (`jobs recent`
-- shows 8 hex digits). The range [low, high] is every UUID with that prefix, so the primary key
-- answers; two rows mean the prefix is ambiguous.
SELECT id::text, job_type, status, cancel_requested FROM jobs
 WHERE id BETWEEN %(low)s::uuid AND %(high)s::uuid
 ORDER BY id LIMIT 2;
