-- Startup checks (contract §2.3): run once, from pg_catalog, never per query.

-- name: schema_columns
-- Every (table, column) the worker uses, with whether it exists through the search_path.
SELECT t.table_name, t.column_name,
       to_regclass(t.table_name) IS NOT NULL AS table_exists,
       EXISTS (SELECT 1 FROM pg_attribute a
                WHERE a.attrelid = to_regclass(t.table_name) AND a.attname = t.column_name
                  AND a.attnum > 0 AND NOT a.attisdropped) AS column_exists,
       (SELECT a.attname::text FROM pg_attribute a
         WHERE a.attrelid = to_regclass(t.table_name) AND a.attnum > 0 AND NOT a.attisdropped
           AND a.attname <> t.column_name
           AND lower(a.attname) = lower(replace(t.column_name, '_', ''))
         LIMIT 1) AS camel_case
  FROM jsonb_to_recordset(%(required)s::jsonb) AS t(table_name text, column_name text);

-- name: schema_unique_index
-- Is there a non-partial unique index over exactly these columns (any name)?
SELECT EXISTS (
  SELECT 1 FROM pg_index i
   WHERE i.indrelid = to_regclass(%(table_name)s) AND i.indisunique AND i.indpred IS NULL
     AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text) FROM pg_attribute a
           WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey))
         = (SELECT array_agg(c ORDER BY c) FROM unnest(%(columns)s::text[]) AS c)
) AS present;

-- name: schema_lock
SELECT pg_advisory_xact_lock(%(lock_key)s);

-- name: schema_trigger_installed
SELECT count(*) AS n FROM pg_trigger
 WHERE tgrelid = to_regclass('jobs') AND tgname LIKE 'finapilot_jobs_notify%%' AND NOT tgisinternal;

-- name: db_ping
SELECT 1 AS ok;
