-- Reads of the investor exports (CONTRACT-2 §6.9); the export rows are the export family's
-- (exports.sql).

-- name: investor_headcount
-- Positions by department and status; cancelled plans never count.
SELECT department, lower(status) AS status, sum(quantity)::int AS quantity
  FROM headcount_plans
 WHERE org_id = %(org_id)s AND lower(status) <> 'cancelled'
 GROUP BY department, lower(status)
 ORDER BY department, lower(status);
