-- DEV/TEST ONLY: a copy of the backend's tables (contract §2.2 and §5.0), column for column.
-- Applied only to the embedded database and the test databases, never to production:
-- in production the Node backend owns these tables.

CREATE TABLE orgs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL,
  currency text NOT NULL DEFAULT 'USD', created_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP);

CREATE TABLE jobs (
  id                    uuid           NOT NULL DEFAULT gen_random_uuid(),
  job_type              text,
  org_id                uuid,
  object_id             uuid,
  status                text           NOT NULL DEFAULT 'queued',
  progress              numeric(5,2)   NOT NULL DEFAULT 0,
  logs                  jsonb,
  created_at            timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at            timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  priority              integer        NOT NULL DEFAULT 50,
  queue                 text                    DEFAULT 'default',
  attempts              integer        NOT NULL DEFAULT 0,
  max_attempts          integer        NOT NULL DEFAULT 5,
  last_error            text,
  next_run_at           timestamptz(6),
  worker_id             text,
  run_started_at        timestamptz(6),
  visibility_expires_at timestamptz(6),
  finished_at           timestamptz(6),
  cancel_requested      boolean        NOT NULL DEFAULT false,
  created_by_user_id    uuid,
  billing_estimate      numeric(10,4),
  idempotency_key       text,
  CONSTRAINT jobs_pkey PRIMARY KEY (id),
  CONSTRAINT "jobs_orgId_fkey" FOREIGN KEY (org_id) REFERENCES orgs(id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "jobs_orgId_idx"                    ON jobs (org_id);
CREATE INDEX jobs_job_type_idx                   ON jobs (job_type);
CREATE INDEX jobs_status_idx                     ON jobs (status);
CREATE INDEX jobs_status_priority_created_at_idx ON jobs (status, priority, created_at);
CREATE INDEX jobs_status_next_run_at_idx         ON jobs (status, next_run_at);
CREATE INDEX jobs_queue_status_idx               ON jobs (queue, status);
CREATE INDEX jobs_worker_id_idx                  ON jobs (worker_id);
CREATE UNIQUE INDEX jobs_idempotency_key_key     ON jobs (idempotency_key);
CREATE INDEX jobs_idempotency_key_idx            ON jobs (idempotency_key);

CREATE TABLE models (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name text NOT NULL, model_json jsonb NOT NULL, version integer NOT NULL DEFAULT 1,
  created_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE model_runs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_id uuid NOT NULL REFERENCES models(id) ON DELETE CASCADE, org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  run_type text NOT NULL,            -- baseline | scenario | adhoc | forecast
  params_json jsonb, status text NOT NULL DEFAULT 'queued', result_s3 text, summary_json jsonb,
  created_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP, finished_at timestamptz(6));
CREATE TABLE monte_carlo_jobs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_run_id uuid NOT NULL REFERENCES model_runs(id) ON DELETE CASCADE, org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  num_simulations integer NOT NULL DEFAULT 2000, params_hash text, status text NOT NULL DEFAULT 'queued',
  result_s3 text, percentiles_json jsonb, sensitivity_json jsonb, cpu_seconds_estimate numeric, cpu_seconds_actual numeric,
  confidence_level numeric(5,4), created_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP, finished_at timestamptz(6));
CREATE TABLE exports (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), model_run_id uuid REFERENCES model_runs(id),
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE, type text NOT NULL,   -- pdf | pptx | csv | memo
  s3_key text, created_by_id uuid, status text NOT NULL DEFAULT 'queued', file_data bytea, meta_json jsonb,
  provenance_appendix jsonb, created_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP);          -- no trigger: set updated_at yourself
CREATE TABLE data_import_batches (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE, source_type text NOT NULL, source_ref text, file_hash text,
  mapping_json jsonb, stats_json jsonb, status text NOT NULL DEFAULT 'created',   -- created | completed | failed | deleted
  created_by_user_id uuid, created_at timestamptz(6) NOT NULL DEFAULT now());
CREATE TABLE raw_transactions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE, connector_id uuid, source_id text, date date NOT NULL,
  amount numeric(20,4) NOT NULL, currency text NOT NULL DEFAULT 'USD', category text, description text, raw_payload jsonb,
  imported_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  import_batch_id uuid REFERENCES data_import_batches(id) ON DELETE SET NULL, is_duplicate boolean NOT NULL DEFAULT false);
CREATE UNIQUE INDEX "raw_transactions_orgId_source_id_key" ON raw_transactions (org_id, source_id);
CREATE TABLE headcount_plans (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), org_id uuid NOT NULL, name text NOT NULL,
  department text NOT NULL DEFAULT 'General', role text NOT NULL, quantity integer NOT NULL DEFAULT 1, salary numeric(20,4),
  benefits_multiplier numeric(5,2) DEFAULT 1.3, start_date date NOT NULL, end_date date, ramp_months integer NOT NULL DEFAULT 3,
  status text NOT NULL DEFAULT 'planned');  -- planned | approved | hiring | filled | cancelled
CREATE TABLE drivers (id uuid PRIMARY KEY, org_id uuid NOT NULL, model_id uuid NOT NULL, name text NOT NULL, type text NOT NULL,
  formula text, is_calculated boolean NOT NULL DEFAULT false);
CREATE TABLE driver_formulas (id uuid PRIMARY KEY, model_id uuid NOT NULL, driver_id uuid NOT NULL, expression text NOT NULL);
CREATE TABLE financial_scenarios (id uuid PRIMARY KEY, model_id uuid NOT NULL, name text NOT NULL, is_default boolean NOT NULL DEFAULT false);
CREATE TABLE driver_values (id uuid PRIMARY KEY, driver_id uuid NOT NULL, scenario_id uuid NOT NULL, month text NOT NULL,
  value numeric(20,4) NOT NULL, UNIQUE (driver_id, scenario_id, month));
CREATE TABLE budgets (id uuid PRIMARY KEY, org_id uuid NOT NULL, category text NOT NULL, month text NOT NULL,
  amount numeric(20,4) NOT NULL, department text DEFAULT 'General');
CREATE TABLE metric_cube (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), org_id uuid NOT NULL, model_id uuid NOT NULL,
  metric_name text NOT NULL, month text NOT NULL, value numeric(20,4) NOT NULL, scenario_id uuid,
  geography_id uuid, product_id uuid, department_id uuid, segment_id uuid, channel_id uuid, custom_dim1_id uuid, custom_dim2_id uuid,
  is_calculated boolean NOT NULL DEFAULT false, created_at timestamptz(6) NOT NULL DEFAULT now(), updated_at timestamptz(6) NOT NULL DEFAULT now());
CREATE TABLE billing_usage (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), org_id uuid, metric text NOT NULL,
  value numeric, bucket_time timestamptz(6) NOT NULL, created_at timestamptz(6) NOT NULL DEFAULT now());
