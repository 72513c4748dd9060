-- Reads and writes of the csv_import job (contract §5.4). Ids arrive validated as UUIDs.

-- name: import_batch_get
SELECT id::text, org_id::text, status
  FROM data_import_batches
 WHERE id = %(batch_id)s AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid);

-- name: import_org_has_transactions
SELECT EXISTS (SELECT 1 FROM raw_transactions WHERE org_id = %(org_id)s AND NOT is_duplicate)
       AS found;

-- name: import_batch_complete
-- Guarded by the expected state: a deleted batch is never revived.
UPDATE data_import_batches SET status = 'completed', stats_json = %(stats)s::jsonb
 WHERE id = %(batch_id)s AND org_id = %(org_id)s AND status IN ('created', 'failed')
RETURNING id;

-- Domain row transitions (§4.8: guarded by the expected state; a malformed id parameter reads as
-- NULL through dramatiq.finapilot_uuid and matches nothing instead of aborting the transaction) and the row shown by `jobs show`.

-- name: import_domain_fail
UPDATE data_import_batches
   SET status = 'failed',
       stats_json = jsonb_build_object(
         'error', %(last_error)s,
         'failedAt', to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         'rowsImported', 0)
 WHERE id = dramatiq.finapilot_uuid(%(domain_ref)s) AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid)
   AND status IN ('created', 'failed');

-- name: import_domain_show
SELECT id::text, status, stats_json FROM data_import_batches WHERE id = dramatiq.finapilot_uuid(%(ref)s);
