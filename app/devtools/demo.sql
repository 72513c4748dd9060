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

-- name: demo_rule_insert
INSERT INTO alert_rules (org_id, name, metric, operator, threshold, severity)
VALUES (%(org_id)s, %(name)s, %(metric)s, %(operator)s, %(threshold)s, %(severity)s)
RETURNING id::text;

-- name: demo_org_jobs
-- Every job of the demo's orgs, follow-ups included, in the order they were inserted.
SELECT id::text, job_type FROM jobs WHERE org_id = ANY(%(orgs)s::uuid[]) ORDER BY created_at, id;

-- name: demo_chain_steps
-- The chain's jobs with their moments relative to the CSV import's insertion.
WITH t0 AS (SELECT created_at FROM jobs WHERE id = %(first_job)s)
SELECT j.job_type, j.status, j.logs -> -1 AS last_entry, j.last_error,
       extract(epoch FROM j.run_started_at - j.created_at)::float8 AS waited,
       extract(epoch FROM j.finished_at - j.run_started_at)::float8 AS ran,
       extract(epoch FROM j.finished_at - t0.created_at)::float8 AS done_at
  FROM jobs j, t0
 WHERE j.org_id = %(org_id)s
 ORDER BY j.created_at, j.id;

-- name: demo_chain_notifications
WITH t0 AS (SELECT created_at FROM jobs WHERE id = %(first_job)s)
SELECT n.title, n.message, extract(epoch FROM n.created_at - t0.created_at)::float8 AS done_at
  FROM notifications n, t0
 WHERE n.org_id = %(org_id)s
 ORDER BY n.created_at, n.id;
