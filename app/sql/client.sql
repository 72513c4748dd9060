-- The producer API: insert a job exactly as the backend does (params inside logs, §3.1).

-- name: client_submit
INSERT INTO jobs (job_type, org_id, object_id, status, progress, logs, priority, queue,
                  max_attempts, idempotency_key)
VALUES (%(job_type)s, %(org_id)s, %(object_id)s, 'queued', 0,
        jsonb_build_array(
          dramatiq.finapilot_log_entry('info', 'Job created',
            jsonb_build_object('jobType', %(job_type)s, 'queue', %(queue)s, 'priority', %(priority)s)),
          dramatiq.finapilot_log_entry('info', 'Job parameters set',
            jsonb_build_object('params', %(params)s::jsonb))),
        %(priority)s, %(queue)s, %(max_attempts)s, %(idempotency_key)s)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id::text;

-- name: client_by_idempotency_key
SELECT id::text FROM jobs WHERE idempotency_key = %(idempotency_key)s;

-- name: client_get
SELECT id::text, job_type, status, progress::float8 AS progress, attempts, max_attempts,
       last_error, cancel_requested, created_at, run_started_at, finished_at
  FROM jobs WHERE id = %(job_id)s;

-- name: client_cancel
-- What the backend's cancel route does (§4.6): waiting jobs end at once, running ones are flagged.
UPDATE jobs
   SET status = CASE WHEN status IN ('queued', 'retrying') THEN 'cancelled' ELSE status END,
       finished_at = CASE WHEN status IN ('queued', 'retrying') THEN statement_timestamp() ELSE finished_at END,
       cancel_requested = CASE WHEN status = 'running' THEN true ELSE cancel_requested END,
       updated_at = greatest(updated_at, statement_timestamp())
 WHERE id = %(job_id)s AND status IN ('queued', 'retrying', 'running')
RETURNING status, pg_notify('finapilot_job_events', id::text);
