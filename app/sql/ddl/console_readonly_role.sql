-- The grants of a read-only database role for the console (python -m app console): every page
-- works, no button is shown, every action is refused. Run once as an admin, connected with the
-- backend's search_path (its schema, or public), after creating the role:
--   CREATE ROLE finapilot_console LOGIN PASSWORD '…';
-- then give the console that role's URL as DATABASE_URL. Not applied by any process.
-- (With Prisma's ?schema=X, also: GRANT USAGE ON SCHEMA X TO finapilot_console;)

GRANT USAGE ON SCHEMA dramatiq TO finapilot_console;
-- What the pages read: the jobs, the domain rows the job types show (app/jobtypes: DomainRow),
-- the live workers, the dramatiq-pg messages (the window in use) and what is paused.
GRANT SELECT ON jobs, model_runs, monte_carlo_jobs, exports, data_import_batches TO finapilot_console;
GRANT SELECT ON dramatiq.queue, dramatiq.finapilot_workers, dramatiq.finapilot_paused
  TO finapilot_console;
-- The dramatiq schema's functions are executable by every role (PostgreSQL's default).
-- Belt and braces: this role's sessions cannot write even through another client.
ALTER ROLE finapilot_console SET default_transaction_read_only = on;
ALTER ROLE finapilot_console SET statement_timeout = '5s';
