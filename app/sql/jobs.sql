-- Writes a dramatiq worker makes on the `jobs` row it runs (contract §4.3).
-- Every write is fenced: the row must still be `running`, owned by this worker process, and
-- started by this very run (run_started_at is the run token), so a zombie changes nothing.
-- Moments are statement_timestamp() (when the statement runs, one value per statement), not
-- now() (the transaction's start: a long final transaction would record its work as finished
-- before it began), and updated_at never moves backwards.

-- name: job_start
-- Take ownership from the bridge's dispatch marker; returns the job and its parameters.
-- %(resume)s: a retry after a lost answer, when the first try may have landed: the row may
-- already be ours (then no second "Job started" entry).
WITH started AS (
  UPDATE jobs
     SET worker_id = %(worker_id)s,
         run_started_at = clock_timestamp(),
         visibility_expires_at = statement_timestamp() + make_interval(secs => %(lease_s)s),
         updated_at = greatest(updated_at, statement_timestamp()),
         logs = CASE WHEN worker_id = %(dispatch_marker)s THEN dramatiq.finapilot_log_push(
                  logs,
                  dramatiq.finapilot_log_entry('info', 'Job started',
                    jsonb_build_object('workerId', %(worker_id)s, 'attempt', attempts + 1)),
                  %(max_entries)s) ELSE logs END
   WHERE id = %(job_id)s AND status = 'running'
     AND (worker_id = %(dispatch_marker)s OR (%(resume)s AND worker_id = %(worker_id)s))
  RETURNING id, job_type, org_id, object_id, attempts, max_attempts, priority, queue,
            run_started_at, cancel_requested, created_by_user_id,
            dramatiq.finapilot_job_params(logs) AS params
)
-- params come back as text: the worker decodes them itself, so a document it cannot read
-- (nested thousands deep, a number of thousands of digits) fails this job, not the worker.
SELECT id::text, job_type, org_id::text, object_id::text, attempts, max_attempts, priority,
       queue, run_started_at, cancel_requested, created_by_user_id::text,
       params::text AS params_text,
       dramatiq.finapilot_domain_ref(%(domain_refs)s::jsonb, job_type, object_id, params)
         AS domain_ref
  FROM started;

-- name: job_status
SELECT status, worker_id, run_started_at, cancel_requested FROM jobs WHERE id = %(job_id)s;

-- name: job_progress
UPDATE jobs SET progress = %(progress)s, updated_at = greatest(updated_at, statement_timestamp())
 WHERE id = %(job_id)s AND status = 'running' AND worker_id = %(worker_id)s
   AND run_started_at = %(run_token)s
RETURNING cancel_requested;

-- name: job_log_append
UPDATE jobs
   SET logs = dramatiq.finapilot_log_push(
                logs, dramatiq.finapilot_log_entry(%(level)s, %(msg)s, %(meta)s::jsonb),
                %(max_entries)s),
       updated_at = greatest(updated_at, statement_timestamp())
 WHERE id = %(job_id)s AND status = 'running' AND worker_id = %(worker_id)s
   AND run_started_at = %(run_token)s
RETURNING cancel_requested;

-- name: job_heartbeat
-- One statement for every job this process runs; an id not returned has lost its lease.
UPDATE jobs SET visibility_expires_at = statement_timestamp() + make_interval(secs => %(lease_s)s),
                updated_at = greatest(updated_at, statement_timestamp())
 WHERE id = ANY(%(job_ids)s::uuid[]) AND worker_id = %(worker_id)s AND status = 'running'
RETURNING id::text, cancel_requested;

-- name: job_lock_for_finish
SELECT status, worker_id, run_started_at, cancel_requested FROM jobs
 WHERE id = %(job_id)s FOR UPDATE;

-- name: job_complete
-- Completes the job and, in the same statement, acks its dramatiq-pg message (state 'done' and
-- the ack NOTIFY the bridge wakes on): outcome and ack are atomic, one round trip.
WITH done AS (
  UPDATE jobs
     SET status = 'completed', progress = 100, finished_at = statement_timestamp(),
         updated_at = greatest(updated_at, statement_timestamp()),
         visibility_expires_at = NULL,
         logs = dramatiq.finapilot_log_push(
                  logs,
                  dramatiq.finapilot_log_entry('info', 'Job completed successfully', %(meta)s::jsonb),
                  %(max_entries)s)
   WHERE id = %(job_id)s AND status = 'running' AND worker_id = %(worker_id)s
     AND run_started_at = %(run_token)s AND cancel_requested = false
  RETURNING id
), acked AS (
  UPDATE dramatiq.queue SET "state" = 'done'
   WHERE message_id = %(message_id)s AND "state" = 'consumed' AND EXISTS (SELECT 1 FROM done)
  RETURNING queue_name, message_id
)
SELECT d.id, pg_notify('finapilot_job_events', d.id::text),
       (SELECT count(pg_notify('dramatiq.' || a.queue_name || '.ack',
                               jsonb_build_object('message_id', a.message_id)::text))
          FROM acked a) AS acked
  FROM done d;

-- name: job_cancel_running
UPDATE jobs
   SET status = 'cancelled', finished_at = statement_timestamp(),
       updated_at = greatest(updated_at, statement_timestamp()), visibility_expires_at = NULL,
       logs = dramatiq.finapilot_log_push(
                logs, dramatiq.finapilot_log_entry('info', 'Job cancelled by user', '{}'::jsonb),
                %(max_entries)s)
 WHERE id = %(job_id)s AND status = 'running' AND worker_id = %(worker_id)s
   AND run_started_at = %(run_token)s
RETURNING id, pg_notify('finapilot_job_events', id::text);

-- name: job_fail
-- The status and delay come from the one retry decision (app/retry.py): `retrying` with
-- next_run_at after the delay, or `dead_letter`. In SET, column references are the values
-- before the update.
UPDATE jobs
   SET status = %(status)s,
       attempts = attempts + 1,
       last_error = %(last_error)s,
       next_run_at = CASE WHEN %(status)s = 'retrying'
                          THEN statement_timestamp() + make_interval(secs => %(delay_s)s) ELSE next_run_at END,
       finished_at = CASE WHEN %(status)s = 'retrying' THEN NULL ELSE statement_timestamp() END,
       worker_id = NULL, run_started_at = NULL, visibility_expires_at = NULL,
       updated_at = greatest(updated_at, statement_timestamp()),
       logs = dramatiq.finapilot_log_push(
                logs,
                dramatiq.finapilot_log_entry('error', %(last_error)s,
                  jsonb_build_object('attempt', attempts + 1, 'errorType', %(error_type)s,
                                     'retryable', %(retryable)s)
                  || CASE WHEN %(status)s = 'retrying'
                          THEN jsonb_build_object('nextRunAt', to_char(
                                 (statement_timestamp() + make_interval(secs => %(delay_s)s)) AT TIME ZONE 'UTC',
                                 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                          ELSE '{}'::jsonb END),
                %(max_entries)s)
 WHERE id = %(job_id)s AND status = 'running' AND worker_id = %(worker_id)s
   AND run_started_at = %(run_token)s
RETURNING status, attempts, next_run_at, pg_notify('finapilot_job_events', id::text);

-- name: job_release_shutdown
-- Graceful shutdown ran out of time: give the job back now, attempts unchanged (§4.10).
UPDATE jobs
   SET status = 'retrying', next_run_at = statement_timestamp(),
       last_error = 'WorkerShutdown: released during shutdown',
       worker_id = NULL, run_started_at = NULL, visibility_expires_at = NULL,
       updated_at = greatest(updated_at, statement_timestamp()),
       logs = dramatiq.finapilot_log_push(
                logs,
                dramatiq.finapilot_log_entry('warn', 'WorkerShutdown: released during shutdown',
                  jsonb_build_object('attempt', attempts + 1)),
                %(max_entries)s)
 WHERE id = %(job_id)s AND status = 'running' AND worker_id = %(worker_id)s
   AND run_started_at = %(run_token)s
RETURNING id, pg_notify('finapilot_job_events', id::text);

-- name: db_now
-- Timestamps written by the worker come from the database clock.
SELECT now() AS now,
       to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS iso;
