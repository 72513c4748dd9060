-- Which job types have a live worker: read from the presence rows the workers' heartbeat writes
-- (dramatiq.finapilot_workers); never written here. Read by the bridge (its metrics), the
-- operator CLI (`jobs stats`) and the producer API (`submit` warns).

-- name: serving_live_workers
-- Worker processes seen within the presence window, with the queues they consume (NULL = all);
-- not those shutting down (draining) or whose session lock is gone (app/liveness.py).
SELECT worker_id, hostname, pid, queues, threads, started_at, seen_at
  FROM dramatiq.finapilot_worker_liveness
 WHERE seen_at > now() - make_interval(secs => %(presence_s)s)
   AND NOT draining AND session_alive IS NOT false
 ORDER BY worker_id;

-- name: serving_waiting_by_type
-- Jobs of these types waiting for a worker (queued, or retrying at a later time), by type.
SELECT job_type, count(*)::bigint AS waiting, min(created_at) AS oldest_created_at
  FROM jobs
 WHERE status IN ('queued', 'retrying') AND job_type = ANY(%(types)s) AND cancel_requested = false
 GROUP BY job_type;
