-- Reads and writes of the auto_model job (CONTRACT-2 §2.9). Reads are scoped to the org (the
-- model's own when the job has none); writes happen in the final transaction, under the lock
-- of the model row. Ids arrive validated as UUIDs.

-- name: auto_model_model
SELECT id::text AS id, org_id::text AS org_id, model_json,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS created_month
  FROM models
 WHERE id = %(model_id)s::uuid AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid);

-- name: auto_model_model_lock
SELECT id::text AS id, org_id::text AS org_id, model_json,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS created_month
  FROM models
 WHERE id = %(model_id)s::uuid AND org_id = %(org_id)s::uuid
   FOR UPDATE;

-- name: auto_model_model_update
-- models has no updated_at column; the version is the backend's to bump.
UPDATE models SET model_json = %(model_json)s::jsonb
 WHERE id = %(model_id)s::uuid AND org_id = %(org_id)s::uuid
RETURNING id;

-- name: auto_model_scenario_find
-- The model's default scenario, else one named Base.
SELECT id::text AS id
  FROM financial_scenarios
 WHERE model_id = %(model_id)s::uuid AND org_id = %(org_id)s::uuid
   AND (is_default OR name = 'Base')
 ORDER BY is_default DESC, created_at, id
 LIMIT 1;

-- name: auto_model_scenario_insert
INSERT INTO financial_scenarios (org_id, model_id, name, is_default, created_at, updated_at)
VALUES (%(org_id)s::uuid, %(model_id)s::uuid, 'Base', true, statement_timestamp(), statement_timestamp())
RETURNING id::text AS id;

-- name: auto_model_driver_find
-- A driver of the model with the same name (case-insensitive): reused, never duplicated.
SELECT id::text AS id
  FROM drivers
 WHERE model_id = %(model_id)s::uuid AND org_id = %(org_id)s::uuid
   AND lower(btrim(name)) = lower(%(name)s)
 ORDER BY created_at, id
 LIMIT 1;

-- name: auto_model_driver_insert
-- updated_at has no default in the backend's schema (CONTRACT-2 §0.3.4).
INSERT INTO drivers (org_id, model_id, name, type, category, unit, is_calculated, created_at,
                     updated_at)
VALUES (%(org_id)s::uuid, %(model_id)s::uuid, %(name)s, %(type)s, %(category)s, %(unit)s, false,
        statement_timestamp(), statement_timestamp())
RETURNING id::text AS id;

-- name: auto_model_driver_values_insert
-- One value a month; a value already there (a user's edit) is never overwritten.
INSERT INTO driver_values (driver_id, scenario_id, month, value, created_at, updated_at)
SELECT %(driver_id)s::uuid, %(scenario_id)s::uuid, m.month, %(value)s, statement_timestamp(),
       statement_timestamp()
  FROM unnest(%(months)s::text[]) AS m(month)
ON CONFLICT (driver_id, scenario_id, month) DO NOTHING;

-- name: auto_model_run_find
-- The run an earlier attempt of this job created for one scenario key.
SELECT id::text AS id
  FROM model_runs
 WHERE model_id = %(model_id)s::uuid AND org_id = %(org_id)s::uuid
   AND params_json ->> 'sourceJobId' = %(job_id)s
   AND params_json ->> 'scenarioKey' = %(scenario_key)s
 ORDER BY created_at, id
 LIMIT 1;

-- name: auto_model_run_insert
INSERT INTO model_runs (model_id, org_id, run_type, params_json, status)
VALUES (%(model_id)s::uuid, %(org_id)s::uuid, %(run_type)s, %(params_json)s::jsonb, 'queued')
RETURNING id::text AS id;
