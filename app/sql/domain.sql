-- Domain rows follow the job (contract §4.8). Every write is guarded by the expected current
-- state, so a late worker never overwrites a user's cancel or another attempt's success.
-- Ids are compared as text: a malformed parameter can never abort the transaction. A model run
-- is found by its parameter, the job's object_id, or (auto-model runs) its source job.

-- name: domain_model_run_reset
UPDATE model_runs SET status = 'queued'
 WHERE (id::text = %(domain_ref)s OR id::text = %(object_id)s
        OR params_json ->> 'sourceJobId' = %(job_id)s)
   AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid) AND status = 'running';

-- name: domain_model_run_fail
UPDATE model_runs SET status = 'failed', finished_at = now()
 WHERE (id::text = %(domain_ref)s OR id::text = %(object_id)s
        OR params_json ->> 'sourceJobId' = %(job_id)s)
   AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid) AND status IN ('queued', 'running');

-- name: domain_monte_carlo_reset
UPDATE monte_carlo_jobs SET status = 'queued'
 WHERE id::text = %(domain_ref)s AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
   AND status = 'running';

-- name: domain_monte_carlo_fail
UPDATE monte_carlo_jobs SET status = 'failed', finished_at = now()
 WHERE id::text = %(domain_ref)s AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
   AND status IN ('queued', 'running');

-- name: domain_export_reset
UPDATE exports SET status = 'queued', updated_at = now()
 WHERE id::text = %(domain_ref)s AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
   AND status = 'processing';

-- name: domain_export_fail
UPDATE exports SET status = 'failed', updated_at = now()
 WHERE id::text = %(domain_ref)s AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
   AND status IN ('queued', 'processing');

-- name: domain_import_fail
UPDATE data_import_batches
   SET status = 'failed',
       stats_json = jsonb_build_object(
         'error', %(last_error)s,
         'failedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         'rowsImported', 0)
 WHERE id::text = %(domain_ref)s AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
   AND status IN ('created', 'failed');
