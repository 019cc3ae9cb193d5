-- An alert run records its decision chunk by chunk, each chunk its own
-- transaction, so that on SQLite it never holds the single writer for the
-- whole scan (src/alerts/run.rs). Its digests stay "assembling" — delivery
-- does not see them — until the run sets `finished_at`. A run refreshes
-- `alive_at` with every chunk; one left unfinished and silent for longer
-- than `alerts.run_lease_seconds` crashed, and the next run finishes it
-- (adopts its digests: they were never sent).
--
-- Every run recorded before this migration ran in one transaction and is
-- finished.
ALTER TABLE alert_runs ADD COLUMN finished_at TIMESTAMP;
ALTER TABLE alert_runs ADD COLUMN alive_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE alert_runs SET finished_at = started_at, alive_at = started_at;
CREATE INDEX alert_runs_unfinished ON alert_runs (origin) WHERE finished_at IS NULL;
