-- Remove the opt-in trigger (python -m bridge trigger remove); the bridge then polls.
DROP TRIGGER IF EXISTS finapilot_jobs_notify_insert ON jobs;
DROP TRIGGER IF EXISTS finapilot_jobs_notify_update ON jobs;
