-- Reads and writes of the alert_check job (CONTRACT-2 §4.9). Every read is scoped to the org;
-- when the job has no org (NULL), the run's own org is taken. Ids arrive validated as UUIDs.

-- name: alert_check_run
SELECT id::text AS id, org_id::text AS org_id, status, run_type, summary_json
  FROM model_runs
 WHERE id = %(run_id)s::uuid AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid);

-- name: alert_check_simulation
-- The Monte Carlo row that triggered the check, finished and linked to the run.
SELECT id::text AS id, percentiles_json
  FROM monte_carlo_jobs
 WHERE id = %(mc_id)s::uuid AND org_id = %(org_id)s::uuid AND model_run_id = %(run_id)s::uuid
   AND status = 'done' AND percentiles_json IS NOT NULL;

-- name: alert_check_rules_lock
-- The org's enabled rules, locked for the check (a concurrent check of the same org waits).
SELECT id::text AS id, name, metric, operator, threshold, severity, notify_email, notify_slack,
       slack_webhook, created_by_id::text AS created_by_id
  FROM alert_rules
 WHERE org_id = %(org_id)s::uuid AND enabled
 ORDER BY created_at, id
   FOR UPDATE;

-- name: alert_check_notification_exists
-- The dedup rule: one notification per rule, run, source (and Monte Carlo row).
SELECT 1 AS found
  FROM notifications
 WHERE org_id = %(org_id)s::uuid AND type = 'alert'
   AND metadata ->> 'alertId' = %(rule_id)s AND metadata ->> 'modelRunId' = %(run_id)s
   AND metadata ->> 'source' = %(source)s
   AND (%(mc_id)s::text IS NULL OR metadata ->> 'monteCarloJobId' = %(mc_id)s)
 LIMIT 1;

-- name: alert_check_notification_insert
INSERT INTO notifications (org_id, user_id, type, title, message, category, priority, read,
                           metadata, created_at)
VALUES (%(org_id)s::uuid, %(user_id)s::uuid, 'alert', %(title)s, %(message)s, 'financial',
        %(priority)s, false, %(metadata)s::jsonb, statement_timestamp())
RETURNING id::text AS id;

-- name: alert_check_rule_triggered
-- last_triggered only: updated_at tracks the user's edits of the rule.
UPDATE alert_rules SET last_triggered = statement_timestamp()
 WHERE id = %(rule_id)s::uuid AND org_id = %(org_id)s::uuid;

-- name: alert_check_audit_insert
-- The UI's alert history; one row per notification (keyed by the effect, never twice).
INSERT INTO audit_logs (org_id, action, object_type, object_id, meta_json, created_at)
SELECT %(org_id)s::uuid, 'alert_triggered', 'alert_rule', %(rule_id)s::uuid, %(meta)s::jsonb,
       statement_timestamp()
 WHERE NOT EXISTS (
   SELECT 1 FROM audit_logs
    WHERE org_id = %(org_id)s::uuid AND action = 'alert_triggered'
      AND object_id = %(rule_id)s::uuid
      AND meta_json ->> 'notificationId' = %(notification_id)s);

-- name: alert_check_delivery_set
-- After the commit: the outcome of one delivery attempt (notifications have no updated_at).
UPDATE notifications
   SET metadata = jsonb_set(metadata, ARRAY['delivery', %(channel)s], to_jsonb(%(outcome)s::text))
 WHERE id = %(notification_id)s::uuid AND org_id = %(org_id)s::uuid;
