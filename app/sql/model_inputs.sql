-- Reads that build a model run's inputs (contract §5.1.1), shared by model_run and monte_carlo.
-- Every read is scoped to the org; ids reaching these blocks are validated UUIDs.

-- name: model_inputs_model
SELECT id::text AS id, org_id::text AS org_id, model_json, version,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS created_month
  FROM models
 WHERE id = %(model_id)s::uuid AND org_id = %(org_id)s::uuid;

-- name: model_inputs_ledger
-- The ledger aggregated by month and category, in the database (never all rows: P22).
-- Amounts are summed as-is whatever their currency; the currencies are reported per group.
SELECT to_char(date, 'YYYY-MM') AS month,
       category,
       coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS inflow,
       coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS outflow,
       count(*)::int AS count,
       to_char(max(imported_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
         AS last_imported_at,
       array_agg(DISTINCT currency) AS currencies
  FROM raw_transactions
 WHERE org_id = %(org_id)s::uuid AND is_duplicate = false
   AND (%(import_batch_id)s::text IS NULL OR import_batch_id::text = %(import_batch_id)s)
 GROUP BY 1, 2
 ORDER BY 1, 2;

-- name: model_inputs_headcount
SELECT quantity, salary, benefits_multiplier,
       to_char(start_date, 'YYYY-MM') AS start_month,
       to_char(end_date, 'YYYY-MM') AS end_month,
       ramp_months
  FROM headcount_plans
 WHERE org_id = %(org_id)s::uuid AND status IN ('planned', 'approved', 'hiring', 'filled')
 ORDER BY start_date, id;

-- name: model_inputs_scenario
-- The scenario named in params_json (default 'Base'), else the model's default scenario.
SELECT id::text AS id
  FROM financial_scenarios
 WHERE model_id = %(model_id)s::uuid AND (name = %(scenario_name)s OR is_default)
 ORDER BY (name = %(scenario_name)s) DESC, id
 LIMIT 1;

-- name: model_inputs_drivers
-- The model's input drivers (by trimmed, lower-cased name) with their values in the scenario.
-- A calculated or formula-based driver is returned too: the engine ignores it with a warning.
SELECT d.name,
       d.is_calculated,
       EXISTS (SELECT 1 FROM driver_formulas f WHERE f.driver_id = d.id) AS has_formula,
       coalesce((SELECT jsonb_object_agg(v.month, v.value)
                   FROM driver_values v
                  WHERE v.driver_id = d.id AND v.scenario_id = %(scenario_id)s::uuid),
                '{}'::jsonb) AS "values"
  FROM drivers d
 WHERE d.model_id = %(model_id)s::uuid AND d.org_id = %(org_id)s::uuid
   AND lower(btrim(d.name)) IN ('revenue', 'cogs', 'cost of goods sold', 'opex',
                                'operating expenses', 'expenses')
 ORDER BY d.name, d.id;
