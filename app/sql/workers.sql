-- Worker processes: presence (the bridge's window) and liveness (issue 12).
-- A process holds the session advisory lock (lock_class, lock_key) on one long-lived
-- connection for as long as it lives; dramatiq.finapilot_worker_liveness says whose is gone.

-- name: worker_liveness_key
-- A lock key for a new process (or for one whose old session still holds its previous key).
SELECT nextval('dramatiq.finapilot_worker_lock_seq')::integer AS lock_key;

-- name: worker_liveness_lock
SELECT pg_try_advisory_lock(%(lock_class)s, %(lock_key)s) AS locked;

-- name: worker_presence_upsert
INSERT INTO dramatiq.finapilot_workers (worker_id, hostname, pid, parent_pid, queues, threads,
                                        lock_key, draining)
VALUES (%(worker_id)s, %(hostname)s, %(pid)s, %(parent_pid)s, %(queues)s, %(threads)s,
        %(lock_key)s, %(draining)s)
ON CONFLICT (worker_id) DO UPDATE
   SET seen_at = statement_timestamp(), queues = EXCLUDED.queues, threads = EXCLUDED.threads,
       parent_pid = EXCLUDED.parent_pid, lock_key = EXCLUDED.lock_key,
       draining = EXCLUDED.draining;

-- name: worker_presence_delete
DELETE FROM dramatiq.finapilot_workers WHERE worker_id = %(worker_id)s;

-- name: bridge_liveness_check
-- Every BRIDGE_LIVENESS_INTERVAL_SECONDS, one statement: the processes whose session lock is
-- gone and those that hold it, and how long the server has been up (a restart drops every
-- session at once).
WITH w AS (SELECT worker_id, session_alive FROM dramatiq.finapilot_worker_liveness)
SELECT extract(epoch FROM statement_timestamp() - pg_postmaster_start_time())::float8 AS server_up_s,
       extract(epoch FROM pg_postmaster_start_time())::float8 AS server_started_s,
       ARRAY(SELECT worker_id FROM w WHERE session_alive = false ORDER BY 1) AS lost,
       ARRAY(SELECT worker_id FROM w WHERE session_alive ORDER BY 1) AS alive;

-- name: bridge_forget_workers
-- Presence rows of processes found dead (re-checked: one that got its lock back stays).
DELETE FROM dramatiq.finapilot_workers w
 WHERE w.worker_id = ANY(%(workers)s)
   AND w.worker_id IN (SELECT worker_id FROM dramatiq.finapilot_worker_liveness
                        WHERE worker_id = ANY(%(workers)s) AND session_alive = false)
RETURNING w.worker_id;

-- name: worker_instance_health
-- The worker processes of one dramatiq instance (children of one main process on one host):
-- how many are serving, i.e. booted, heartbeating recently and holding their session lock.
SELECT count(*) FILTER (WHERE seen_at > statement_timestamp() - make_interval(secs => %(presence_s)s)
                          AND session_alive IS NOT false AND NOT draining)::int AS serving,
       coalesce(sum(threads) FILTER (WHERE seen_at > statement_timestamp()
                                       - make_interval(secs => %(presence_s)s)
                                     AND session_alive IS NOT false AND NOT draining), 0)::int
         AS threads,
       count(*)::int AS registered
  FROM dramatiq.finapilot_worker_liveness
 WHERE hostname = %(hostname)s AND parent_pid = %(parent_pid)s;
