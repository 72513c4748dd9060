-- Reads and writes of the export actors (contract §5.3). Ids arrive validated as UUIDs; every
-- lookup is scoped to the org (a NULL job org falls back to the export row's own org, §5.0).
-- Ledger windows are calendar months in UTC that end with the current month.

-- name: export_lock
-- The export row, locked for the claim-time transition (§4.8).
SELECT id::text, org_id::text, model_run_id::text, type, status, meta_json
  FROM exports
 WHERE id = %(export_id)s AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
   FOR UPDATE;

-- name: export_mark_processing
UPDATE exports SET status = 'processing', updated_at = greatest(updated_at, statement_timestamp())
 WHERE id = %(export_id)s AND org_id = %(org_id)s AND status IN ('queued', 'processing');

-- name: export_model_run_get
SELECT id::text, status, run_type, summary_json
  FROM model_runs
 WHERE id = %(model_run_id)s AND org_id = %(org_id)s;

-- name: export_org_get
SELECT name, currency FROM orgs WHERE id = %(org_id)s;

-- name: export_monte_carlo_latest
-- The newest finished simulation of the run (§5.3.2 slide 6).
SELECT percentiles_json
  FROM monte_carlo_jobs
 WHERE model_run_id = %(model_run_id)s AND org_id = %(org_id)s AND status = 'done'
   AND percentiles_json IS NOT NULL
 ORDER BY finished_at DESC NULLS LAST, created_at DESC
 LIMIT 1;

-- name: export_ledger_monthly
-- Revenue (Σ positive amounts) and expenses (Σ |negative amounts|) per month over the last
-- `months` calendar months. Months run contiguously from the first to the last month that has
-- rows (a gap month is a real zero); no rows at all gives no months.
WITH tx AS (
  SELECT date_trunc('month', date)::date AS month, amount
    FROM raw_transactions
   WHERE org_id = %(org_id)s AND NOT is_duplicate
     AND date >= (date_trunc('month', now() AT TIME ZONE 'UTC')
                  - make_interval(months => %(months)s - 1))::date
     AND date < (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month')::date
), bounds AS (
  SELECT min(month) AS first_month, max(month) AS last_month FROM tx
)
SELECT to_char(g.month, 'YYYY-MM') AS month,
       coalesce(sum(tx.amount) FILTER (WHERE tx.amount > 0), 0)::float8 AS revenue,
       coalesce(sum(-tx.amount) FILTER (WHERE tx.amount < 0), 0)::float8 AS expenses
  FROM bounds
 CROSS JOIN LATERAL generate_series(bounds.first_month, bounds.last_month, interval '1 month')
       AS g(month)
  LEFT JOIN tx ON tx.month = g.month::date
 GROUP BY g.month
 ORDER BY g.month;

-- name: export_ledger_top_expense_categories
-- The largest expense categories of the last `months` calendar months, by Σ |amount|.
SELECT coalesce(nullif(btrim(category), ''), 'Uncategorized') AS category,
       sum(-amount)::float8 AS amount,
       count(*)::int AS count
  FROM raw_transactions
 WHERE org_id = %(org_id)s AND NOT is_duplicate AND amount < 0
   AND date >= (date_trunc('month', now() AT TIME ZONE 'UTC')
                - make_interval(months => %(months)s - 1))::date
   AND date < (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month')::date
 GROUP BY 1
 ORDER BY 2 DESC, 1
 LIMIT %(limit)s;

-- name: export_budget_months
-- The last `months` months up to the current one that have budgets: Σ budget amounts vs Σ
-- ledger expenses of the month. Malformed month keys are ignored, never cast.
WITH months AS (
  SELECT month, sum(amount) AS budget
    FROM budgets
   WHERE org_id = %(org_id)s AND month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'
     AND month <= to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')
   GROUP BY month
   ORDER BY month DESC
   LIMIT %(months)s
)
SELECT m.month, m.budget::float8 AS budget,
       coalesce((SELECT sum(-t.amount)
                   FROM raw_transactions t
                  WHERE t.org_id = %(org_id)s AND NOT t.is_duplicate AND t.amount < 0
                    AND t.date >= to_date(m.month, 'YYYY-MM')
                    AND t.date < (to_date(m.month, 'YYYY-MM') + interval '1 month')::date),
                0)::float8 AS actual
  FROM months m
 ORDER BY m.month;

-- name: export_budget_categories
-- Per budget category over the same months: Σ budget vs the ledger expenses whose category
-- equals it, case-insensitively (§5.3.1 budget-variance).
WITH months AS (
  SELECT month
    FROM budgets
   WHERE org_id = %(org_id)s AND month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'
     AND month <= to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')
   GROUP BY month
   ORDER BY month DESC
   LIMIT %(months)s
), budget AS (
  SELECT lower(btrim(b.category)) AS key, min(btrim(b.category)) AS category,
         sum(b.amount) AS budget
    FROM budgets b JOIN months m ON m.month = b.month
   WHERE b.org_id = %(org_id)s
   GROUP BY 1
), actual AS (
  SELECT lower(btrim(t.category)) AS key, sum(-t.amount) AS actual
    FROM raw_transactions t
   WHERE t.org_id = %(org_id)s AND NOT t.is_duplicate AND t.amount < 0
     AND t.date >= (SELECT to_date(min(month), 'YYYY-MM') FROM months)
     AND to_char(t.date, 'YYYY-MM') IN (SELECT month FROM months)
   GROUP BY 1
)
SELECT budget.category, budget.budget::float8 AS budget,
       coalesce(actual.actual, 0)::float8 AS actual
  FROM budget LEFT JOIN actual ON actual.key = budget.key
 ORDER BY budget.category;

-- name: export_complete
-- Exactly one storage (P23): the key with S3, else the bytes; guarded by the expected state.
UPDATE exports
   SET status = 'completed', s3_key = %(s3_key)s, file_data = %(file_data)s,
       updated_at = greatest(updated_at, statement_timestamp())
 WHERE id = %(export_id)s AND org_id = %(org_id)s AND status IN ('queued', 'processing')
RETURNING id;

-- Domain row transitions (§4.8: guarded by the expected state; a malformed id parameter reads as
-- NULL through dramatiq.finapilot_uuid and matches nothing instead of aborting the transaction) and the row shown by `jobs show`.

-- name: export_domain_reset
UPDATE exports SET status = 'queued', updated_at = greatest(updated_at, statement_timestamp())
 WHERE id = dramatiq.finapilot_uuid(%(domain_ref)s) AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
   AND status = 'processing';

-- name: export_domain_fail
UPDATE exports SET status = 'failed', updated_at = greatest(updated_at, statement_timestamp())
 WHERE id = dramatiq.finapilot_uuid(%(domain_ref)s) AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
   AND status IN ('queued', 'processing');

-- name: export_domain_show
SELECT id::text, type, status, s3_key, file_data IS NOT NULL AS has_file_data, updated_at
  FROM exports WHERE id = dramatiq.finapilot_uuid(%(ref)s);
