-- Reads and writes of the xlsx_import job (CONTRACT-2 §5.9); the batch and ledger statements
-- are the CSV import's (csv_import.sql, ledger_import.sql). Ids arrive validated as UUIDs.

-- name: xlsx_mapping_get
SELECT id::text FROM excel_mappings WHERE id = %(mapping_id)s AND org_id = %(org_id)s;

-- name: xlsx_sync_lock
-- One import of a file at a time records its sync (the table has no unique key).
SELECT pg_advisory_xact_lock(hashtext('excel_sync:' || %(org_id)s::text || ':' || %(file_hash)s));

-- name: xlsx_sync_update
UPDATE excel_syncs
   SET status = 'completed', last_synced_at = clock_timestamp(), error_message = NULL,
       mapping_id = coalesce(%(mapping_id)s::uuid, mapping_id), metadata = %(metadata)s::jsonb,
       updated_at = greatest(updated_at, clock_timestamp())
 WHERE id = (SELECT id FROM excel_syncs
              WHERE org_id = %(org_id)s AND file_hash = %(file_hash)s
              ORDER BY created_at DESC, id DESC
              LIMIT 1)
RETURNING id::text;

-- name: xlsx_sync_insert
INSERT INTO excel_syncs (org_id, file_name, file_hash, mapping_id, status, last_synced_at,
                         metadata, created_at, updated_at)
VALUES (%(org_id)s, NULL, %(file_hash)s, %(mapping_id)s, 'completed', clock_timestamp(),
        %(metadata)s::jsonb, clock_timestamp(), clock_timestamp())
RETURNING id::text;
