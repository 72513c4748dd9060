-- The worker's own objects, all in the "dramatiq" schema, created idempotently.
-- dramatiq-pg's table and enum match its schema.sql (0.12); its own `init` is not idempotent.
-- Applied in one transaction under an advisory lock, so processes starting together do not race.

CREATE SCHEMA IF NOT EXISTS dramatiq;

DO $$ BEGIN
  CREATE TYPE dramatiq.state AS ENUM ('queued', 'consumed', 'rejected', 'done');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

CREATE TABLE IF NOT EXISTS dramatiq.queue (
  message_id uuid PRIMARY KEY,
  queue_name text NOT NULL DEFAULT 'default',
  "state" dramatiq.state,
  mtime timestamptz DEFAULT (now() AT TIME ZONE 'UTC'),
  message jsonb,
  "result" jsonb,
  result_ttl timestamptz
);
CREATE INDEX IF NOT EXISTS queue_state_mtime_idx ON dramatiq.queue ("state", mtime);
-- The worker process that consumed a message (set by our consumer, cleared on requeue): when
-- that process dies before starting the job, the bridge gives the job back at once.
-- (Columns are added only when missing: ALTER TABLE would lock the table at every start.)
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'dramatiq.queue'::regclass
                    AND attname = 'consumer' AND NOT attisdropped) THEN
    ALTER TABLE dramatiq.queue ADD COLUMN consumer text;
  END IF;
END $$;

-- Live dramatiq worker processes and their thread counts: the bridge derives its window from it.
CREATE TABLE IF NOT EXISTS dramatiq.finapilot_workers (
  worker_id  text PRIMARY KEY,
  hostname   text NOT NULL,
  pid        integer NOT NULL,
  queues     text[],            -- NULL = every queue
  threads    integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  seen_at    timestamptz NOT NULL DEFAULT now()
);
-- Liveness (issue 12): each process holds the session advisory lock (LIVENESS_LOCK_CLASS,
-- lock_key) on one long-lived connection while it lives; the bridge releases the jobs of a
-- process whose lock is gone. NULL lock_key: a process of an earlier release (lease only).
-- parent_pid: the dramatiq main process (a service instance's health check counts its own).
-- draining: shutting down, finishing its jobs; no new work is dispatched to it.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'dramatiq.finapilot_workers'::regclass
                    AND attname = 'lock_key' AND NOT attisdropped) THEN
    ALTER TABLE dramatiq.finapilot_workers ADD COLUMN lock_key integer,
      ADD COLUMN parent_pid integer, ADD COLUMN draining boolean NOT NULL DEFAULT false;
  END IF;
END $$;
CREATE SEQUENCE IF NOT EXISTS dramatiq.finapilot_worker_lock_seq AS integer CYCLE;

-- Each presence row with whether its process's session still holds its liveness lock
-- (NULL: a process without one). pg_locks is read once per query, not once per row.
-- 7240003 is app.liveness.LIVENESS_LOCK_CLASS.
CREATE OR REPLACE VIEW dramatiq.finapilot_worker_liveness AS
SELECT w.worker_id, w.hostname, w.pid, w.parent_pid, w.queues, w.threads, w.lock_key,
       w.draining, w.started_at, w.seen_at,
       CASE WHEN w.lock_key IS NULL THEN NULL ELSE h.objid IS NOT NULL END AS session_alive
  FROM dramatiq.finapilot_workers w
  LEFT JOIN (SELECT DISTINCT l.objid FROM pg_locks l
              WHERE l.locktype = 'advisory' AND l.classid = 7240003::oid AND l.objsubid = 2
                AND l.granted
                AND l.database = (SELECT d.oid FROM pg_database d
                                   WHERE d.datname = current_database())) h
    ON h.objid = w.lock_key::oid;

-- How many times a job has stopped its worker: the entries the bridge wrote when it released
-- the job from a dead worker (lost session or expired lease).
CREATE OR REPLACE FUNCTION dramatiq.finapilot_crash_count(logs jsonb)
RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT count(*)::integer
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(logs) = 'array' THEN logs
                                   ELSE '[]'::jsonb END) e
   WHERE e.value ->> 'msg' LIKE 'Lease expired;%' OR e.value ->> 'msg' LIKE 'Worker lost;%'
$$;

-- Job types and queues an operator paused (the console): the bridge dispatches none of their
-- jobs until they are resumed; jobs already dispatched or running finish.
CREATE TABLE IF NOT EXISTS dramatiq.finapilot_paused (
  kind      text NOT NULL CHECK (kind IN ('job_type', 'queue')),
  name      text NOT NULL,
  paused_by text NOT NULL,
  paused_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, name)
);

-- One log entry in the contract's format (§3.2), timestamped when its statement runs (not when
-- the transaction began), `Z` form.
CREATE OR REPLACE FUNCTION dramatiq.finapilot_log_entry(level text, msg text, meta jsonb)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'ts', to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'level', level,
    'msg', left(msg, 500),
    'meta', coalesce(meta, '{}'::jsonb))
$$;

-- Does this entry carry the job parameters (meta.params or top-level params)?
CREATE OR REPLACE FUNCTION dramatiq.finapilot_is_param_entry(e jsonb)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_typeof(e -> 'meta') = 'object'
                  AND jsonb_typeof(e -> 'meta' -> 'params') = 'object', false)
      OR coalesce(jsonb_typeof(e -> 'params') = 'object', false)
$$;

-- Append one entry (§3.3): object-form logs are converted in the same statement, and when the
-- cap would be exceeded the oldest entries that are neither the first nor a parameter entry
-- are dropped. Parameter entries are never touched.
CREATE OR REPLACE FUNCTION dramatiq.finapilot_log_append(logs jsonb, entry jsonb, max_entries integer)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  arr jsonb;
  excess integer;
  kept jsonb := '[]'::jsonb;
  e jsonb;
  i integer := 0;
BEGIN
  IF logs IS NULL THEN
    arr := '[]'::jsonb;
  ELSIF jsonb_typeof(logs) = 'array' THEN
    arr := logs;
  ELSE
    arr := jsonb_build_array(dramatiq.finapilot_log_entry('info', 'Legacy log object', logs));
  END IF;
  excess := jsonb_array_length(arr) + 1 - max_entries;
  IF excess > 0 THEN
    FOR e IN SELECT value FROM jsonb_array_elements(arr) LOOP
      IF excess > 0 AND i > 0 AND NOT dramatiq.finapilot_is_param_entry(e) THEN
        excess := excess - 1;
      ELSE
        kept := kept || jsonb_build_array(e);
      END IF;
      i := i + 1;
    END LOOP;
    arr := kept;
  END IF;
  RETURN arr || jsonb_build_array(entry);
END $$;

-- The job parameters (§3.1): newest entry with meta.params, else newest top-level params,
-- else object-form logs.params, else {}.
CREATE OR REPLACE FUNCTION dramatiq.finapilot_job_params(logs jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(
    (SELECT t.e -> 'meta' -> 'params'
       FROM jsonb_array_elements(CASE WHEN jsonb_typeof(logs) = 'array' THEN logs
                                      ELSE '[]'::jsonb END) WITH ORDINALITY AS t(e, i)
      WHERE jsonb_typeof(t.e -> 'meta') = 'object'
        AND jsonb_typeof(t.e -> 'meta' -> 'params') = 'object'
      ORDER BY t.i DESC LIMIT 1),
    (SELECT t.e -> 'params'
       FROM jsonb_array_elements(CASE WHEN jsonb_typeof(logs) = 'array' THEN logs
                                      ELSE '[]'::jsonb END) WITH ORDINALITY AS t(e, i)
      WHERE jsonb_typeof(t.e -> 'params') = 'object'
      ORDER BY t.i DESC LIMIT 1),
    CASE WHEN jsonb_typeof(logs) = 'object' AND jsonb_typeof(logs -> 'params') = 'object'
         THEN logs -> 'params' END,
    '{}'::jsonb)
$$;

-- The id of the domain row a job drives (§1.1, §5), by the rule its declaration gives
-- (app/jobtypes: `rules` maps a job type to its sources, first present wins; '@object_id' is
-- the job's object_id, anything else a parameter key). Text, so that a malformed parameter can
-- never abort a transaction.
-- (The 3-argument versions of earlier releases are left in place: processes of the previous
-- release still call them during a rolling deploy.)
CREATE OR REPLACE FUNCTION dramatiq.finapilot_domain_ref(rules jsonb, job_type text,
                                                         object_id uuid, params jsonb)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT s.ref
    FROM jsonb_array_elements_text(
           CASE WHEN jsonb_typeof(rules -> job_type) = 'array' THEN rules -> job_type
                ELSE '[]'::jsonb END) WITH ORDINALITY AS r(source, i)
   CROSS JOIN LATERAL (
     SELECT CASE WHEN r.source = '@object_id' THEN object_id::text
                 WHEN jsonb_typeof(params) = 'object' THEN params ->> r.source END AS ref) s
   WHERE s.ref IS NOT NULL
   ORDER BY r.i
   LIMIT 1
$$;

-- Append with the common case inline: an array below the cap gets the entry concatenated.
CREATE OR REPLACE FUNCTION dramatiq.finapilot_log_push(logs jsonb, entry jsonb, max_entries integer)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN jsonb_typeof(logs) = 'array' AND jsonb_array_length(logs) < max_entries
              THEN logs || jsonb_build_array(entry)
              ELSE dramatiq.finapilot_log_append(logs, entry, max_entries) END
$$;

-- Wakes the bridge when a job becomes runnable (used only once an operator installs the trigger).
CREATE OR REPLACE FUNCTION dramatiq.finapilot_jobs_notify()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('finapilot_jobs', '');
  RETURN NULL;
END $$;

-- The distinct (status, priority) pairs of jobs (NULL statuses = every status), found by a loose
-- scan of the backend's index (status, priority, created_at): one index probe per pair. Within
-- one pair that index is ordered by created_at, so the console lists jobs newest first by walking
-- each pair's range backwards and merging, without sorting the table (app/sql/console.sql).
CREATE OR REPLACE FUNCTION dramatiq.finapilot_status_priorities(statuses text[])
RETURNS TABLE (status text, priority integer) LANGUAGE sql STABLE AS $$
  WITH RECURSIVE every_status(s) AS (
    SELECT min(j.status) FROM jobs j WHERE statuses IS NULL
    UNION ALL
    SELECT (SELECT min(j.status) FROM jobs j WHERE j.status > e.s)
      FROM every_status e WHERE e.s IS NOT NULL
  ), chosen(s) AS (
    SELECT s FROM every_status WHERE s IS NOT NULL
    UNION
    SELECT u.s FROM unnest(statuses) AS u(s)
  ), pairs(s, p) AS (
    SELECT c.s, (SELECT max(j.priority) FROM jobs j WHERE j.status = c.s) FROM chosen c
    UNION ALL
    SELECT pr.s, (SELECT max(j.priority) FROM jobs j WHERE j.status = pr.s AND j.priority < pr.p)
      FROM pairs pr WHERE pr.p IS NOT NULL
  )
  SELECT s, p FROM pairs WHERE p IS NOT NULL
$$;

-- A job's last_error with ids and numbers taken out: the console groups dead letters by it.
CREATE OR REPLACE FUNCTION dramatiq.finapilot_error_pattern(error text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT regexp_replace(
           regexp_replace(left(coalesce(error, ''), 300),
                          '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'gi'),
           '[0-9]+', '#', 'g')
$$;

-- A job id given as text (by an operator), as a uuid; NULL when it is not one. Immutable and
-- inlined, so `id = dramatiq.finapilot_uuid(<text>)` is a primary-key lookup, where
-- `id::text = <text>` reads the whole table.
CREATE OR REPLACE FUNCTION dramatiq.finapilot_uuid(id text)
RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              THEN id::uuid END
$$;
