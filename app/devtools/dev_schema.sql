-- `python -m app dev-schema`: the guard before the dev copy of the backend's tables is applied.

-- name: dev_schema_existing_tables
-- Which of these tables already resolve through the search_path (any schema on it).
SELECT t AS table_name FROM unnest(%(tables)s::text[]) AS t
 WHERE to_regclass(quote_ident(t)) IS NOT NULL
 ORDER BY 1;
