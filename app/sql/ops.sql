-- The operator CLI (python -m app jobs …): what the seed made operators do with SQL by hand.

-- name: ops_counts

SELECT coalesce(job_type, '') AS job_type, coalesce(queue, '') AS queue, status, count(*)::bigint AS n
  FROM jobs WHERE job_type = ANY(%(types)s)
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- name: ops_in_flight

SELECT coalesce(worker_id, '') AS worker_id, count(*)::bigint AS running,
       min(run_started_at) AS oldest_start
  FROM jobs WHERE status = 'running' AND job_type = ANY(%(types)s)
 GROUP BY 1 ORDER BY 2 DESC;

-- name: ops_recent

SELECT id::text, job_type, status, attempts, max_attempts, progress::float8 AS progress,
       created_at, finished_at, left(last_error, 100) AS last_error
  FROM jobs WHERE job_type = ANY(%(types)s)
 ORDER BY created_at DESC LIMIT %(limit)s;

-- name: ops_stuck

SELECT id::text, job_type, worker_id, run_started_at, visibility_expires_at, attempts,
       extract(epoch FROM now() - visibility_expires_at)::float8 AS expired_for_s
  FROM jobs
 WHERE status = 'running' AND job_type = ANY(%(types)s) AND visibility_expires_at < now()
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
  FROM jobs WHERE id::text = %(job_id)s;

-- name: ops_retry

-- The backend's admin requeue (§4.7): queued, attempts 0, lease, error and cancel cleared.
UPDATE jobs
   SET status = 'queued', attempts = 0, last_error = NULL, next_run_at = NULL, worker_id = NULL,
       run_started_at = NULL, visibility_expires_at = NULL, finished_at = NULL,
       cancel_requested = false, progress = 0, updated_at = greatest(updated_at, statement_timestamp()),
       logs = dramatiq.finapilot_log_append(
                logs, dramatiq.finapilot_log_entry('warn', 'Requeued by operator',
                        jsonb_build_object('previousStatus', status)), %(max_entries)s)
 WHERE id::text = ANY(%(job_ids)s) AND status IN ('dead_letter', 'failed', 'cancelled', 'retrying')
RETURNING id::text, job_type;

-- name: ops_dead_since

SELECT id::text FROM jobs
 WHERE status = 'dead_letter' AND job_type = %(job_type)s AND finished_at >= %(since)s
 ORDER BY finished_at;
