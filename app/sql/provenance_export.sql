-- Reads of the provenance_export job (CONTRACT-2 §7.7), every one scoped to the org. Ids
-- arrive validated as UUIDs.

-- name: provenance_run_get
SELECT org_id::text FROM model_runs
 WHERE id = %(model_run_id)s AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid);

-- name: provenance_entries_list
SELECT id::text, cell_key, source_type, source_ref, prompt_id::text, confidence_score, created_at
  FROM provenance_entries
 WHERE model_run_id = %(model_run_id)s AND org_id = %(org_id)s
 ORDER BY created_at DESC, id;

-- name: provenance_transactions_list
SELECT id::text, date, amount, currency, category, description, source_id
  FROM raw_transactions
 WHERE id = ANY(%(ids)s::uuid[]) AND org_id = %(org_id)s
 ORDER BY date DESC, id;

-- name: provenance_prompts_list
-- Prompts of the org, or shared ones (org_id NULL).
SELECT id::text, prompt_template, rendered_prompt, response_text, provider, model_used,
       tokens_used, created_at
  FROM prompts
 WHERE id = ANY(%(ids)s::uuid[]) AND (org_id = %(org_id)s OR org_id IS NULL)
 ORDER BY created_at, id;
