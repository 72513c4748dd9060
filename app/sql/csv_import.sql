-- Reads and writes of the csv_import actor (contract §5.4). Ids arrive validated as UUIDs.
-- All inserts of one attempt share the transaction that completes the batch and the job
-- (§5.4.4): a failed, cancelled or lease-lost attempt leaves no row behind.

-- name: import_batch_get
SELECT id::text, org_id::text, status
  FROM data_import_batches
 WHERE id = %(batch_id)s AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid);

-- name: import_rows_temp_create
-- Staging for one batch of parsed rows; dropped at the end of the import transaction.
CREATE TEMP TABLE finapilot_import_rows (
  source_id   text    NOT NULL,
  date        date    NOT NULL,
  amount      numeric NOT NULL,
  currency    text    NOT NULL,
  category    text,
  description text,
  raw_payload text
) ON COMMIT DROP;

-- name: import_rows_copy
COPY finapilot_import_rows (source_id, date, amount, currency, category, description, raw_payload)
FROM STDIN;

-- name: import_rows_flush
-- Moves the staged batch into the ledger; the row count is the number actually inserted (P25a).
-- A source_id already present (this org, any earlier import, or earlier in this file) is a
-- duplicate and is skipped. Rows go in source_id order: the unique index is walked, not hopped.
INSERT INTO raw_transactions (org_id, import_batch_id, source_id, date, amount, currency,
                              category, description, raw_payload, is_duplicate)
SELECT %(org_id)s::uuid, %(import_batch_id)s::uuid, source_id, date, amount, currency,
       category, description, raw_payload::jsonb, false
  FROM finapilot_import_rows
 ORDER BY source_id
ON CONFLICT (org_id, source_id) DO NOTHING;

-- name: import_rows_clear
-- TRUNCATE, not DELETE: the staging file starts empty again instead of growing with dead rows.
TRUNCATE finapilot_import_rows;

-- name: import_row_insert_one
-- One row per statement: the legacy way (P25f), kept only as the baseline of bench/documents.py.
INSERT INTO raw_transactions (org_id, import_batch_id, source_id, date, amount, currency,
                              category, description, raw_payload, is_duplicate)
VALUES (%(org_id)s, %(import_batch_id)s, %(source_id)s, %(date)s, %(amount)s, %(currency)s,
        %(category)s, %(description)s, %(raw_payload)s::jsonb, %(is_duplicate)s)
ON CONFLICT (org_id, source_id) DO NOTHING;

-- name: import_org_has_transactions
SELECT EXISTS (SELECT 1 FROM raw_transactions WHERE org_id = %(org_id)s AND NOT is_duplicate)
       AS found;

-- name: import_batch_complete
-- Guarded by the expected state: a deleted batch is never revived.
UPDATE data_import_batches SET status = 'completed', stats_json = %(stats)s::jsonb
 WHERE id = %(batch_id)s AND org_id = %(org_id)s AND status IN ('created', 'failed')
RETURNING id;
