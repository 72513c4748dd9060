-- Opt-in: wake the bridge on new or re-queued jobs (python -m bridge trigger install).
DROP TRIGGER IF EXISTS finapilot_jobs_notify_insert ON jobs;
DROP TRIGGER IF EXISTS finapilot_jobs_notify_update ON jobs;
CREATE TRIGGER finapilot_jobs_notify_insert AFTER INSERT ON jobs
  FOR EACH STATEMENT EXECUTE FUNCTION dramatiq.finapilot_jobs_notify();
CREATE TRIGGER finapilot_jobs_notify_update AFTER UPDATE OF status, next_run_at ON jobs
  FOR EACH ROW WHEN (NEW.status IN ('queued', 'retrying'))
  EXECUTE FUNCTION dramatiq.finapilot_jobs_notify();
