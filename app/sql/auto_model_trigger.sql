-- Reads and writes of the auto_model_trigger job (CONTRACT-2 §1.9), all in its final
-- transaction and scoped to the org. Ids arrive validated as UUIDs.

-- name: auto_model_trigger_org
SELECT id::text AS id FROM orgs WHERE id = %(org_id)s::uuid;

-- name: auto_model_trigger_lock_org
-- Serialises the triggers of one org: two can never both queue runs for the same model.
SELECT pg_advisory_xact_lock(hashtextextended('auto_model_trigger:' || %(org_id)s, 0));

-- name: auto_model_trigger_latest_baseline
-- The throttle's reference: the org's newest baseline run, of any status.
SELECT extract(epoch FROM statement_timestamp() - created_at)::float8 / 3600 AS hours_since
  FROM model_runs
 WHERE org_id = %(org_id)s::uuid AND run_type = 'baseline'
 ORDER BY created_at DESC, id DESC
 LIMIT 1;

-- name: auto_model_trigger_models
SELECT id::text AS id FROM models WHERE org_id = %(org_id)s::uuid ORDER BY created_at, id;

-- name: auto_model_trigger_default_model
INSERT INTO models (org_id, name, model_json, version)
VALUES (%(org_id)s::uuid, 'Default Financial Model', %(model_json)s::jsonb, 1)
RETURNING id::text AS id;

-- name: auto_model_trigger_run_of_job
-- The run an earlier execution of this job queued for the model (a re-dispatch reuses it).
SELECT id::text AS id
  FROM model_runs
 WHERE model_id = %(model_id)s::uuid AND org_id = %(org_id)s::uuid
   AND params_json ->> 'sourceJobId' = %(job_id)s
 ORDER BY created_at, id
 LIMIT 1;

-- name: auto_model_trigger_open_runs
-- The queued or running runs of a model (or, with model_id NULL, of the org): active when
-- recent or when a job still works on them (by run id, or by model id for a run a model_run job
-- created itself); older ones are orphans that block nothing (§1.9).
SELECT r.id::text AS id, r.model_id::text AS model_id,
       r.created_at > statement_timestamp() - interval '2 hours'
         OR EXISTS (SELECT 1 FROM jobs j
                     WHERE j.job_type = %(run_job_type)s
                       AND j.status IN ('queued', 'running', 'retrying')
                       AND (j.object_id = r.id
                            OR (j.object_id = r.model_id
                                AND r.params_json ->> 'sourceJobId' = j.id::text)))
         AS active
  FROM model_runs r
 WHERE r.org_id = %(org_id)s::uuid
   AND (%(model_id)s::uuid IS NULL OR r.model_id = %(model_id)s::uuid)
   AND r.status IN ('queued', 'running')
 ORDER BY r.created_at DESC, r.id;

-- name: auto_model_trigger_run_insert
INSERT INTO model_runs (model_id, org_id, run_type, params_json, status)
VALUES (%(model_id)s::uuid, %(org_id)s::uuid, 'baseline', %(params_json)s::jsonb, 'queued')
RETURNING id::text AS id;

-- name: auto_model_trigger_audit_insert
-- One row per queued run (keyed by the effect: a re-dispatch adds none).
INSERT INTO audit_logs (org_id, action, object_type, object_id, meta_json, created_at)
SELECT %(org_id)s::uuid, 'auto_model_triggered', %(object_type)s, %(run_id)s::uuid,
       %(meta)s::jsonb, statement_timestamp()
 WHERE NOT EXISTS (SELECT 1 FROM audit_logs
                    WHERE org_id = %(org_id)s::uuid AND action = 'auto_model_triggered'
                      AND object_id = %(run_id)s::uuid);
