-- The bridge's statements: dispatch (claim + hand-off), window, reaper, purge, metrics.

-- name: bridge_window_lock
-- Bridges take turns computing the window, so two bridges never overfill it.
SELECT pg_try_advisory_xact_lock(%(lock_key)s) AS locked;

-- name: bridge_plan_settings
-- The dispatch must walk the (status, priority, created_at) index in order with a LIMIT. On a
-- table without fresh statistics (a burst of inserts before autovacuum analyzes it) the planner
-- prefers bitmap scans plus a sort of every waiting row (~45 ms at 100k rows, per dispatch).
SET LOCAL enable_bitmapscan = off;

-- name: bridge_window
-- Per dramatiq queue: threads of live worker processes, and messages not yet finished.
SELECT q.queue,
       coalesce((SELECT sum(w.threads) FROM dramatiq.finapilot_workers w
                  WHERE w.seen_at > now() - make_interval(secs => %(presence_s)s)
                    AND NOT w.draining
                    AND (w.queues IS NULL OR q.queue = ANY(w.queues))), 0)::int AS threads,
       (SELECT count(*) FROM dramatiq.queue m
         WHERE m.queue_name = q.queue AND m.state IN ('queued', 'consumed'))::int AS outstanding
  FROM unnest(%(queues)s::text[]) AS q(queue);

-- name: bridge_dispatch
-- Claim due rows (one statement, all queues, priority then age, SKIP LOCKED, at most the free
-- slots of each queue), mark them with a dispatch marker, write one dramatiq-pg message per row
-- and announce it on the channel dramatiq-pg consumers LISTEN to. All in the caller's transaction.
--
-- Plan: `ORDER BY priority DESC, created_at ASC` mixes directions, so the backend's index
-- (status, priority, created_at) cannot return it in order and a plain claim sorts every waiting
-- row (45 ms at 100k rows). Instead: a loose index scan lists the distinct priorities of queued
-- rows, highest first; within one priority a forward range scan of the index yields created_at
-- ascending with no sort; `retrying` rows (few) are taken separately. Only those few candidates
-- are then locked with FOR UPDATE SKIP LOCKED and re-checked.
WITH RECURSIVE routes AS (
  SELECT * FROM jsonb_to_recordset(%(routes)s::jsonb) AS r(job_type text, queue text, actor text)
   -- job types and queues paused by an operator are not dispatched (dramatiq.finapilot_paused)
   WHERE NOT EXISTS (SELECT 1 FROM dramatiq.finapilot_paused p
                      WHERE (p.kind = 'job_type' AND p.name = r.job_type)
                         OR (p.kind = 'queue' AND p.name = r.queue))
), slots AS (
  SELECT s.queue, s.n, array_agg(r.job_type) AS types
    FROM jsonb_to_recordset(%(slots)s::jsonb) AS s(queue text, n integer)
    JOIN routes r ON r.queue = s.queue
   WHERE s.n > 0
   GROUP BY s.queue, s.n
), prio(p) AS (
  SELECT max(priority) FROM jobs WHERE status = 'queued'
  UNION ALL
  SELECT (SELECT max(j.priority) FROM jobs j WHERE j.status = 'queued' AND j.priority < prio.p)
    FROM prio WHERE prio.p IS NOT NULL
), candidates AS (
  SELECT s.queue, c.id
    FROM slots s
    CROSS JOIN LATERAL (
      (SELECT q.id, q.priority, q.created_at
         FROM prio
         CROSS JOIN LATERAL (
           SELECT j.id, j.priority, j.created_at FROM jobs j
            WHERE j.status = 'queued' AND j.priority = prio.p AND j.job_type = ANY(s.types)
              AND (j.next_run_at IS NULL OR j.next_run_at <= now()) AND j.cancel_requested = false
            ORDER BY j.created_at
            LIMIT 2 * s.n) q
        WHERE prio.p IS NOT NULL
        LIMIT 2 * s.n)
      UNION ALL
      (SELECT j.id, j.priority, j.created_at FROM jobs j
        WHERE j.status = 'retrying' AND j.job_type = ANY(s.types)
          AND (j.next_run_at IS NULL OR j.next_run_at <= now()) AND j.cancel_requested = false
        ORDER BY j.priority DESC, j.created_at
        LIMIT 2 * s.n)
    ) c
), picked AS (
  SELECT c.id, gen_random_uuid() AS message_id
    FROM slots s
    CROSS JOIN LATERAL (
      SELECT j.id FROM jobs j
       WHERE j.id = ANY(ARRAY(SELECT cd.id FROM candidates cd WHERE cd.queue = s.queue))
         AND j.status IN ('queued', 'retrying') AND j.job_type = ANY(s.types)
         AND (j.next_run_at IS NULL OR j.next_run_at <= now()) AND j.cancel_requested = false
       ORDER BY j.priority DESC, j.created_at ASC
       LIMIT s.n
       FOR UPDATE SKIP LOCKED) c
), claimed AS (
  UPDATE jobs j
     SET status = 'running', worker_id = 'dispatch:' || p.message_id::text,
         run_started_at = now(),
         visibility_expires_at = statement_timestamp() + make_interval(secs => %(lease_s)s),
         updated_at = greatest(updated_at, statement_timestamp())
    FROM picked p
   WHERE j.id = p.id
     -- lets the planner reach the few rows by primary key instead of hashing the whole table
     AND j.id = ANY(ARRAY(SELECT pk.id FROM picked pk))
  RETURNING j.id, j.job_type, j.priority, j.created_at, p.message_id
), messages AS (
  INSERT INTO dramatiq.queue (queue_name, message_id, "state", message)
  SELECT r.queue, c.message_id, 'queued',
         jsonb_build_object(
           'queue_name', r.queue, 'actor_name', r.actor, 'args', jsonb_build_array(c.id::text),
           'kwargs', '{}'::jsonb, 'options', '{}'::jsonb, 'message_id', c.message_id::text,
           'message_timestamp', (extract(epoch FROM statement_timestamp()) * 1000)::bigint)
    FROM claimed c JOIN routes r ON r.job_type = c.job_type
  RETURNING queue_name, message_id, message
)
SELECT c.id::text AS job_id, c.job_type, m.queue_name,
       pg_notify('dramatiq.' || m.queue_name || '.enqueue', m.message::text)
  FROM messages m JOIN claimed c ON c.message_id = m.message_id
 ORDER BY c.priority DESC, c.created_at ASC;

-- name: reaper_expired_select
-- Started jobs whose worker died (§4.5, issue 12), locked for this transaction, with how many
-- times each has now stopped its worker: the jobs of the processes in %(lost)s whose session
-- lock is still gone (re-checked here: one that got it back keeps its jobs), and jobs whose
-- lease expired (a hung process, or one without a liveness lock). The decision is made in
-- Python (app/retry.py).
WITH lost AS (
  SELECT worker_id FROM dramatiq.finapilot_worker_liveness
   WHERE worker_id = ANY(%(lost)s::text[]) AND session_alive = false
)
SELECT j.id::text AS job_id, j.job_type, j.attempts, j.max_attempts, j.worker_id AS old_worker,
       j.worker_id IN (SELECT worker_id FROM lost) AS session_lost,
       dramatiq.finapilot_crash_count(j.logs) + 1 AS crashes
  FROM jobs j
 WHERE j.status = 'running' AND j.job_type = ANY(%(types)s)
   AND j.worker_id NOT LIKE 'dispatch:%%'
   AND (j.worker_id IN (SELECT worker_id FROM lost)
        OR j.visibility_expires_at < now()
        OR (j.visibility_expires_at IS NULL
            AND j.run_started_at < now() - make_interval(secs => %(lease_s)s)))
 LIMIT %(limit)s
 FOR UPDATE OF j SKIP LOCKED;

-- name: reaper_expired_apply
-- Writes the decisions in bulk: an attempt is counted unless the decision says not (a first
-- crash); `retrying` after the delay, or `dead_letter` (quarantined when the job kept stopping
-- its worker). The log entry says what happened; its prefix is what finapilot_crash_count counts.
WITH d AS (
  SELECT * FROM jsonb_to_recordset(%(decisions)s::jsonb)
           AS x(job_id uuid, status text, delay_s float8, last_error text, log_msg text,
                counts_attempt boolean)
)
UPDATE jobs j
   SET status = d.status,
       attempts = j.attempts + CASE WHEN d.counts_attempt THEN 1 ELSE 0 END,
       last_error = left(d.last_error, 500),
       next_run_at = CASE WHEN d.status = 'retrying'
                          THEN statement_timestamp() + make_interval(secs => d.delay_s) ELSE j.next_run_at END,
       finished_at = CASE WHEN d.status = 'retrying' THEN NULL ELSE statement_timestamp() END,
       worker_id = NULL, run_started_at = NULL, visibility_expires_at = NULL,
       updated_at = greatest(updated_at, statement_timestamp()),
       logs = dramatiq.finapilot_log_append(
                j.logs,
                dramatiq.finapilot_log_entry('warn', d.log_msg,
                  jsonb_build_object('attempt', j.attempts + 1)),
                %(max_entries)s)
  FROM d
 WHERE j.id = d.job_id AND j.status = 'running'
   AND j.id = ANY(ARRAY(SELECT x.job_id FROM d x))
RETURNING j.id::text AS job_id, j.job_type, j.org_id::text, j.object_id::text, j.queue, j.status,
          j.last_error, j.attempts,
          dramatiq.finapilot_domain_ref(%(domain_refs)s::jsonb, j.job_type, j.object_id,
                                        dramatiq.finapilot_job_params(j.logs)) AS domain_ref,
          pg_notify('finapilot_job_events', j.id::text);

-- name: reaper_undelivered
-- Dispatched jobs whose message was taken but never started: the consumer died before the
-- start. Found when its process is in %(lost)s (session gone), or past the lease when the
-- message is no longer waiting. Back to retrying now, attempts unchanged. A message still
-- waiting in the queue is left alone: a worker will take it.
WITH stale AS (
  SELECT j.id, j.worker_id AS marker FROM jobs j
   WHERE j.status = 'running' AND j.job_type = ANY(%(types)s) AND j.worker_id LIKE 'dispatch:%%'
     AND ((j.visibility_expires_at < now()
           AND NOT EXISTS (SELECT 1 FROM dramatiq.queue m
                            WHERE m.message_id::text = substr(j.worker_id, 10)
                              AND m.state = 'queued'))
          OR EXISTS (SELECT 1 FROM dramatiq.queue m
                      WHERE m.message_id::text = substr(j.worker_id, 10) AND m.state = 'consumed'
                        AND m.consumer = ANY(%(lost)s::text[])))
   LIMIT %(limit)s
   FOR UPDATE OF j SKIP LOCKED
)
UPDATE jobs j
   SET status = 'retrying', next_run_at = statement_timestamp(), worker_id = NULL, run_started_at = NULL,
       visibility_expires_at = NULL, updated_at = greatest(updated_at, statement_timestamp())
  FROM stale s
 WHERE j.id = s.id AND j.id = ANY(ARRAY(SELECT x.id FROM stale x))
RETURNING j.id::text AS job_id, j.job_type, j.queue, s.marker;

-- name: reaper_reject_messages
-- Stale messages of reaped jobs can never start them (the fence moved on); mark them finished.
UPDATE dramatiq.queue SET "state" = 'rejected', mtime = statement_timestamp()
 WHERE "state" IN ('queued', 'consumed') AND message -> 'args' ->> 0 = ANY(%(job_ids)s::text[]);

-- name: reaper_cancel_waiting
-- Jobs cancelled while waiting can never be claimed, yet count as active: end them.
WITH waiting AS (
  SELECT id FROM jobs
   WHERE status IN ('queued', 'retrying') AND cancel_requested AND job_type = ANY(%(types)s)
   LIMIT %(limit)s
   FOR UPDATE SKIP LOCKED
)
UPDATE jobs j
   SET status = 'cancelled', finished_at = statement_timestamp(),
       updated_at = greatest(updated_at, statement_timestamp()),
       logs = dramatiq.finapilot_log_append(
                j.logs, dramatiq.finapilot_log_entry('info', 'Job cancelled by user', '{}'::jsonb),
                %(max_entries)s)
  FROM waiting w
 WHERE j.id = w.id AND j.id = ANY(ARRAY(SELECT x.id FROM waiting x))
RETURNING j.id::text AS job_id, j.job_type, j.org_id::text, j.object_id::text, j.queue, j.status,
          'Cancelled: cancelled while waiting' AS last_error,
          dramatiq.finapilot_domain_ref(%(domain_refs)s::jsonb, j.job_type, j.object_id,
                                        dramatiq.finapilot_job_params(j.logs)) AS domain_ref,
          pg_notify('finapilot_job_events', j.id::text);

-- name: bridge_renotify_waiting
-- Messages still queued a while after their NOTIFY (heard while a consumer was reconnecting, or
-- skipped under a lock) are announced again; consumers take each at most once.
SELECT count(pg_notify('dramatiq.' || queue_name || '.enqueue', message::text)) AS n
  FROM dramatiq.queue
 WHERE "state" = 'queued' AND mtime < now() - make_interval(secs => %(age_s)s)
   AND octet_length(message::text) < 8000;

-- name: stats_jobs_by_status
SELECT job_type, coalesce(queue, '') AS queue, status, count(*)::bigint AS n
  FROM jobs WHERE job_type = ANY(%(types)s)
 GROUP BY 1, 2, 3;
