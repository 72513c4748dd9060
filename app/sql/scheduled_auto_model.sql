-- Reads of the scheduled_auto_model sweep (CONTRACT-2 §3.7): orgs in pages of ids, and per org
-- the legacy trigger condition. A forged job with an org sweeps that org only.

-- name: scheduled_auto_model_org_count
SELECT count(*)::int AS n FROM orgs WHERE %(org_id)s::uuid IS NULL OR id = %(org_id)s::uuid;

-- name: scheduled_auto_model_org_page
-- Keyset pagination by id: orgs created during the sweep are seen if their id sorts later.
SELECT id::text AS id
  FROM orgs
 WHERE (%(after)s::uuid IS NULL OR id > %(after)s::uuid)
   AND (%(org_id)s::uuid IS NULL OR id = %(org_id)s::uuid)
 ORDER BY id
 LIMIT %(limit)s;

-- name: scheduled_auto_model_org_state
-- Due (legacy, unchanged): no baseline run yet and some transaction, or transactions imported
-- after the newest baseline run when that run is at least an hour old.
WITH s AS (
  SELECT EXISTS (SELECT 1 FROM models WHERE org_id = %(org_id)s::uuid) AS has_models,
         (SELECT max(created_at) FROM model_runs
           WHERE org_id = %(org_id)s::uuid AND run_type = 'baseline') AS last_run,
         (SELECT max(imported_at) FROM raw_transactions
           WHERE org_id = %(org_id)s::uuid AND NOT is_duplicate) AS last_tx
)
SELECT has_models, last_tx IS NOT NULL AS has_data,
       (last_run IS NULL AND last_tx IS NOT NULL)
         OR (last_tx > last_run AND last_run <= statement_timestamp() - interval '1 hour') AS due
  FROM s;
