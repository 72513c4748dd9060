-- The creator's role in the job's org (CONTRACT-2 §0.3): ids compared as text, so a malformed
-- value never aborts the transaction.

-- name: access_user_role
SELECT role FROM user_org_roles
 WHERE user_id::text = %(user_id)s AND org_id::text = %(org_id)s;
