-- The dramatiq-pg table and queue health, read and tidied by the bridge and the operator CLI.

-- name: bridge_purge_finished
DELETE FROM dramatiq.queue
 WHERE "state" IN ('done', 'rejected') AND mtime < now() - make_interval(secs => %(age_s)s);

-- name: bridge_count_finished
SELECT count(*) AS n FROM dramatiq.queue
 WHERE "state" IN ('done', 'rejected') AND mtime < now() - make_interval(secs => %(age_s)s);

-- name: stats_oldest_due
SELECT coalesce(extract(epoch FROM now() - min(coalesce(next_run_at, created_at))), 0)::float8
       AS age_s
  FROM jobs
 WHERE status IN ('queued', 'retrying') AND job_type = ANY(%(types)s) AND cancel_requested = false
   AND (next_run_at IS NULL OR next_run_at <= now());

-- name: stats_dramatiq_queue
SELECT queue_name, "state"::text AS state, count(*)::bigint AS n FROM dramatiq.queue GROUP BY 1, 2;

-- name: stats_advisory_locks
SELECT count(*)::bigint AS n FROM pg_locks WHERE locktype = 'advisory';
