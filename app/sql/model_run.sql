-- The model_run job's domain writes (contract §5.1). Reads are org-scoped; when the job has no
-- org (NULL), the row's own org is taken. Every write is guarded by the expected state.

-- name: model_run_load
SELECT id::text AS id, model_id::text AS model_id, org_id::text AS org_id, run_type,
       params_json, status, summary_json IS NOT NULL AS has_summary
  FROM model_runs
 WHERE id = %(run_id)s::uuid AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid);

-- name: model_run_find_model
SELECT id::text AS id, org_id::text AS org_id
  FROM models
 WHERE id = %(model_id)s::uuid AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid);

-- name: model_run_lock_source_job
-- Serialises run creation for one job (two attempts can never both insert a run).
SELECT pg_advisory_xact_lock(hashtextextended('model_run:' || %(job_id)s, 0));

-- name: model_run_find_by_source_job
SELECT id::text AS id, model_id::text AS model_id, org_id::text AS org_id, run_type,
       params_json, status, summary_json IS NOT NULL AS has_summary
  FROM model_runs
 WHERE model_id = %(model_id)s::uuid AND org_id = %(org_id)s::uuid
   AND params_json ->> 'sourceJobId' = %(job_id)s
 ORDER BY created_at, id
 LIMIT 1;

-- name: model_run_create
-- The run of an auto-model job (object_id is a models.id, P19), created already running.
INSERT INTO model_runs (model_id, org_id, run_type, params_json, status)
VALUES (%(model_id)s::uuid, %(org_id)s::uuid, %(run_type)s, %(params_json)s::jsonb, 'running')
RETURNING id::text AS id, model_id::text AS model_id, org_id::text AS org_id, run_type,
          params_json, status, false AS has_summary;

-- name: model_run_start
-- On claim (§4.8): queued, running or failed (e.g. after an admin requeue) becomes running.
UPDATE model_runs SET status = 'running'
 WHERE id = %(run_id)s::uuid AND org_id = %(org_id)s::uuid
   AND status IN ('queued', 'running', 'failed')
RETURNING id;

-- name: model_run_finish
UPDATE model_runs
   SET status = 'done', summary_json = %(summary)s::jsonb, result_s3 = %(result_s3)s,
       finished_at = statement_timestamp()
 WHERE id = %(run_id)s::uuid AND org_id = %(org_id)s::uuid AND status = 'running'
RETURNING id;

-- name: model_run_cube_delete
-- Baseline runs replace only the worker-owned cube rows: no scenario, no dimension, one of the
-- worker's metrics (P18: the legacy worker wiped every row of the model).
DELETE FROM metric_cube
 WHERE org_id = %(org_id)s::uuid AND model_id = %(model_id)s::uuid
   AND scenario_id IS NULL AND geography_id IS NULL AND product_id IS NULL
   AND department_id IS NULL AND segment_id IS NULL AND channel_id IS NULL
   AND custom_dim1_id IS NULL AND custom_dim2_id IS NULL
   AND metric_name = ANY(%(metrics)s::text[]);

-- name: model_run_cube_insert
INSERT INTO metric_cube (org_id, model_id, metric_name, month, value, is_calculated, updated_at)
SELECT %(org_id)s::uuid, %(model_id)s::uuid, m.metric_name, m.month, m.value, false,
       statement_timestamp()
  FROM unnest(%(metric_names)s::text[], %(months)s::text[], %(values)s::numeric[])
       AS m(metric_name, month, value);

-- Domain row transitions (§4.8: guarded by the expected state; a malformed id parameter reads as
-- NULL through dramatiq.finapilot_uuid and matches nothing instead of aborting the transaction) and the row shown by `jobs show`.

-- name: model_run_domain_reset
UPDATE model_runs SET status = 'queued'
 WHERE (id::text = %(domain_ref)s OR id::text = %(object_id)s
        OR params_json ->> 'sourceJobId' = %(job_id)s)
   AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid) AND status = 'running';

-- name: model_run_domain_fail
UPDATE model_runs SET status = 'failed', finished_at = statement_timestamp()
 WHERE (id::text = %(domain_ref)s OR id::text = %(object_id)s
        OR params_json ->> 'sourceJobId' = %(job_id)s)
   AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid) AND status IN ('queued', 'running');

-- name: model_run_domain_show
SELECT id::text, status, run_type, created_at, finished_at, result_s3,
       summary_json IS NOT NULL AS has_summary
  FROM model_runs WHERE id::text = %(ref)s OR params_json ->> 'sourceJobId' = %(job_id)s;
