-- Bulk import of ledger rows (contract §5.4.4), shared by the import job types. All inserts of
-- one attempt share the transaction that completes the job: a failed, cancelled or lease-lost
-- attempt leaves no row behind.

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
                              category, description, raw_payload, is_duplicate, imported_at)
SELECT %(org_id)s::uuid, %(import_batch_id)s::uuid, source_id, date, amount, currency,
       category, description, raw_payload::jsonb, false, statement_timestamp()
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
