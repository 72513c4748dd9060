-- The creator's role in the job's org (CONTRACT-2 §0.3): a malformed id reads as NULL (matches
-- nothing) instead of aborting the transaction, and the (user_id, org_id) unique index is used.

-- name: access_user_role
SELECT role FROM user_org_roles
 WHERE user_id = dramatiq.finapilot_uuid(%(user_id)s)
   AND org_id = dramatiq.finapilot_uuid(%(org_id)s);
