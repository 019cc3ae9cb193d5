DROP INDEX alert_runs_unfinished;
ALTER TABLE alert_runs DROP COLUMN alive_at;
ALTER TABLE alert_runs DROP COLUMN finished_at;
