-- Writes of the xlsx_preview job (CONTRACT-2 §5.9).

-- name: xlsx_preview_entry_append
-- The preview entry: a standard entry plus a top-level `preview` key (the wizard reads it
-- there). Appended, fenced like every job write; no entry is replaced.
UPDATE jobs
   SET logs = dramatiq.finapilot_log_push(
                logs,
                dramatiq.finapilot_log_entry('info', 'XLSX preview completed', %(meta)s::jsonb)
                  || jsonb_build_object('preview', %(preview)s::jsonb),
                %(max_entries)s),
       updated_at = greatest(updated_at, clock_timestamp())
 WHERE id = %(job_id)s AND status = 'running' AND worker_id = %(worker_id)s
   AND run_started_at = %(run_token)s
RETURNING id;
