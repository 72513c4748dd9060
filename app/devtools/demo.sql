-- DEV ONLY: the sample data of `python -m app demo` (inserted as the backend would).

-- name: demo_database_exists
SELECT 1 AS present FROM pg_database WHERE datname = %(name)s;

-- name: demo_org_insert
INSERT INTO orgs (name, currency) VALUES (%(name)s, %(currency)s) RETURNING id::text;

-- name: demo_model_insert
INSERT INTO models (org_id, name, model_json) VALUES (%(org_id)s, %(name)s, %(model_json)s)
RETURNING id::text;

-- name: demo_run_insert
INSERT INTO model_runs (model_id, org_id, run_type, params_json)
VALUES (%(model_id)s, %(org_id)s, 'baseline', '{}') RETURNING id::text;

-- name: demo_simulation_insert
INSERT INTO monte_carlo_jobs (model_run_id, org_id, num_simulations, params_hash)
VALUES (%(run_id)s, %(org_id)s, %(n)s, %(params_hash)s) RETURNING id::text;

-- name: demo_export_insert
INSERT INTO exports (model_run_id, org_id, type, meta_json)
VALUES (%(run_id)s, %(org_id)s, %(type)s, %(meta)s) RETURNING id::text;

-- name: demo_batch_insert
INSERT INTO data_import_batches (org_id, source_type) VALUES (%(org_id)s, 'csv')
RETURNING id::text;

-- name: demo_outcome
SELECT status, attempts, last_error, logs,
       extract(epoch FROM finished_at - created_at)::float8 AS took
  FROM jobs WHERE id = %(job_id)s;
