-- DEV/TEST ONLY: a copy of the backend's tables (contract §2.2, §5.0 and CONTRACT-2 §0.4), column
-- for column.
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

CREATE TABLE users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL UNIQUE, name text,
  created_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE user_org_roles (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE, org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  role text NOT NULL,                 -- viewer | finance | admin
  created_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP, UNIQUE (user_id, org_id));
CREATE TABLE models (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name text NOT NULL, model_json jsonb NOT NULL, version integer NOT NULL DEFAULT 1,
  created_by_id uuid, created_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP);
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
CREATE TABLE financial_scenarios (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), org_id uuid NOT NULL,
  model_id uuid NOT NULL REFERENCES models(id) ON DELETE CASCADE, name text NOT NULL, color text,
  is_default boolean NOT NULL DEFAULT false, created_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP);           -- no unique (model_id, name)
CREATE TABLE drivers (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), org_id uuid NOT NULL, model_id uuid NOT NULL,
  name text NOT NULL, description text, type text NOT NULL, category text,
  time_granularity text NOT NULL DEFAULT 'monthly', unit text, formula text,
  is_calculated boolean NOT NULL DEFAULT false, version integer NOT NULL DEFAULT 1,
  created_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamptz(6) NOT NULL,                                     -- NO default (Prisma @updatedAt)
  dependencies jsonb, is_locked boolean NOT NULL DEFAULT false, max_range numeric(20,4), min_range numeric(20,4));
CREATE TABLE driver_formulas (id uuid PRIMARY KEY, model_id uuid NOT NULL, driver_id uuid NOT NULL, expression text NOT NULL);
CREATE TABLE driver_values (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), driver_id uuid NOT NULL, scenario_id uuid NOT NULL,
  month text NOT NULL, value numeric(20,4) NOT NULL,
  created_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamptz(6) NOT NULL,                                     -- NO default (Prisma @updatedAt)
  CONSTRAINT "driver_values_driverId_scenarioId_month_key" UNIQUE (driver_id, scenario_id, month));
CREATE TABLE budgets (id uuid PRIMARY KEY, org_id uuid NOT NULL, category text NOT NULL, month text NOT NULL,
  amount numeric(20,4) NOT NULL, department text DEFAULT 'General');
CREATE TABLE metric_cube (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), org_id uuid NOT NULL, model_id uuid NOT NULL,
  metric_name text NOT NULL, month text NOT NULL, value numeric(20,4) NOT NULL, scenario_id uuid,
  geography_id uuid, product_id uuid, department_id uuid, segment_id uuid, channel_id uuid, custom_dim1_id uuid, custom_dim2_id uuid,
  is_calculated boolean NOT NULL DEFAULT false, created_at timestamptz(6) NOT NULL DEFAULT now(), updated_at timestamptz(6) NOT NULL DEFAULT now());
CREATE TABLE billing_usage (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), org_id uuid, metric text NOT NULL,
  value numeric, bucket_time timestamptz(6) NOT NULL, created_at timestamptz(6) NOT NULL DEFAULT now());

-- CONTRACT-2 §0.4: the tables of the automation chain, spreadsheets and provenance.
CREATE TABLE alert_rules (id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE, name text NOT NULL, description text,
  metric text NOT NULL, operator text NOT NULL, threshold numeric(20,4) NOT NULL,
  enabled boolean NOT NULL DEFAULT true, notify_email boolean NOT NULL DEFAULT false,
  notify_slack boolean NOT NULL DEFAULT false, slack_webhook text, last_triggered timestamptz(6),
  created_by_id uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz(6) NOT NULL DEFAULT now(), updated_at timestamptz(6) NOT NULL DEFAULT now(),
  severity text NOT NULL DEFAULT 'warning');
CREATE INDEX "alert_rules_orgId_idx" ON alert_rules (org_id);
CREATE INDEX "alert_rules_enabled_idx" ON alert_rules (enabled);
CREATE TABLE notifications (id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE, user_id uuid REFERENCES users(id) ON DELETE SET NULL,
  type text NOT NULL, title text NOT NULL, message text NOT NULL, category text NOT NULL, priority text NOT NULL,
  read boolean NOT NULL DEFAULT false, read_at timestamptz(6), metadata jsonb,
  created_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP);          -- no updated_at column
CREATE TABLE audit_logs (id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  actor_user_id uuid REFERENCES users(id), org_id uuid REFERENCES orgs(id) ON DELETE CASCADE,
  action text NOT NULL, object_type text, object_id uuid, meta_json jsonb,
  created_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE prompts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), org_id uuid, user_id uuid,
  prompt_template text, rendered_prompt text, response_text text, provider text, model_used text,
  tokens_used integer, cached boolean NOT NULL DEFAULT false,
  created_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE provenance_entries (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_run_id uuid NOT NULL REFERENCES model_runs(id) ON DELETE CASCADE, org_id uuid NOT NULL,
  cell_key text NOT NULL, source_type text NOT NULL, source_ref jsonb, prompt_id uuid REFERENCES prompts(id),
  confidence_score numeric(5,4), created_at timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE excel_mappings (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), org_id uuid NOT NULL,
  name varchar(255) NOT NULL, description text, mapping_json jsonb NOT NULL, created_by uuid,
  created_at timestamptz(6) NOT NULL DEFAULT now(), updated_at timestamptz(6) NOT NULL DEFAULT now());
CREATE TABLE excel_syncs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE, file_name varchar(255), file_hash varchar(64),
  mapping_id uuid REFERENCES excel_mappings(id) ON DELETE SET NULL,
  status text NOT NULL DEFAULT 'pending',          -- the real migrations: text NOT NULL (CONTRACT-2 top)
  last_synced_at timestamptz(6), error_message text, metadata jsonb,
  created_at timestamptz(6) NOT NULL DEFAULT now(), updated_at timestamptz(6) NOT NULL DEFAULT now());
