-- Writes of the final success transaction shared by the job types (contract §4.9, §5.0).

-- name: billing_insert
-- Plain rows, exactly once, inside the final transaction (no ON CONFLICT: P32).
INSERT INTO billing_usage (org_id, metric, value, bucket_time)
VALUES (%(org_id)s, %(metric)s, %(value)s, date_trunc('hour', statement_timestamp()));

-- name: followup_insert
-- A follow-up job in the backend's format, idempotent per source object (P24).
INSERT INTO jobs (job_type, org_id, object_id, status, progress, attempts, max_attempts, priority,
                  queue, idempotency_key, logs)
VALUES (%(job_type)s, %(org_id)s, %(object_id)s, 'queued', 0, 0, 5, %(priority)s, %(queue)s,
        %(idempotency_key)s,
        jsonb_build_array(
          dramatiq.finapilot_log_entry('info', 'Job created',
            jsonb_build_object('jobType', %(job_type)s, 'queue', %(queue)s,
                               'priority', %(priority)s)),
          dramatiq.finapilot_log_entry('info', 'Job parameters set',
            jsonb_build_object('params', %(params)s::jsonb))))
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id::text AS id;

-- name: followup_by_key
-- The job a follow-up key already names (an earlier attempt inserted it).
SELECT id::text AS id FROM jobs WHERE idempotency_key = %(idempotency_key)s;
