-- The monte_carlo job's domain reads and writes (contract §5.2). Reads are org-scoped; when the
-- job has no org (NULL), the row's own org is taken. Every write is guarded by the expected state.

-- name: monte_carlo_load
SELECT id::text AS id, model_run_id::text AS model_run_id, org_id::text AS org_id,
       num_simulations, params_hash, status, percentiles_json IS NOT NULL AS has_result
  FROM monte_carlo_jobs
 WHERE id = %(mc_id)s::uuid AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid);

-- name: monte_carlo_run_load
-- The linked model run: only its model and params_json are used, never its summary.
SELECT id::text AS id, model_id::text AS model_id, org_id::text AS org_id, run_type, params_json
  FROM model_runs
 WHERE id = %(run_id)s::uuid AND org_id = %(org_id)s::uuid;

-- name: monte_carlo_start
-- On claim (§4.8): queued, running or failed (e.g. after an admin requeue) becomes running.
UPDATE monte_carlo_jobs SET status = 'running'
 WHERE id = %(mc_id)s::uuid AND org_id = %(org_id)s::uuid
   AND status IN ('queued', 'running', 'failed')
RETURNING id;

-- name: monte_carlo_finish
-- confidence_level stays NULL.
UPDATE monte_carlo_jobs
   SET status = 'done', percentiles_json = %(percentiles)s::jsonb,
       sensitivity_json = %(sensitivity)s::jsonb, result_s3 = %(result_s3)s,
       cpu_seconds_estimate = %(cpu_seconds)s, cpu_seconds_actual = %(cpu_seconds)s,
       finished_at = statement_timestamp()
 WHERE id = %(mc_id)s::uuid AND org_id = %(org_id)s::uuid AND status = 'running'
RETURNING id;

-- Domain row transitions (§4.8: guarded by the expected state; a malformed id parameter reads as
-- NULL through dramatiq.finapilot_uuid and matches nothing instead of aborting the transaction) and the row shown by `jobs show`.

-- name: monte_carlo_domain_reset
UPDATE monte_carlo_jobs SET status = 'queued'
 WHERE id = dramatiq.finapilot_uuid(%(domain_ref)s) AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
   AND status = 'running';

-- name: monte_carlo_domain_fail
UPDATE monte_carlo_jobs SET status = 'failed', finished_at = statement_timestamp()
 WHERE id = dramatiq.finapilot_uuid(%(domain_ref)s) AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
   AND status IN ('queued', 'running');

-- name: monte_carlo_domain_show
SELECT id::text, status, num_simulations, params_hash, finished_at, result_s3,
       percentiles_json IS NOT NULL AS has_percentiles
  FROM monte_carlo_jobs WHERE id = dramatiq.finapilot_uuid(%(ref)s);
