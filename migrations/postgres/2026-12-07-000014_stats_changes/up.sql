-- The change log the statistics keep their in-memory copy of the register
-- current from (src/stats/register.rs, src/db/register.rs): for each request
-- or case, the transaction that last changed it. Every change to either
-- appends to its history in the same transaction, so a trigger on the
-- histories keeps it. One row per request or case, so it grows with the
-- register, not with every event.
--
-- Writers commit in any order, so a reader cannot trust "after the last
-- transaction read"; it keeps instead the oldest transaction still running
-- when it last read (`pg_snapshot_xmin`) and reads again everything from
-- there: whatever committed since was written by that transaction or a
-- newer one. No existing row changes: a copy starts from a full read.
CREATE TABLE stats_changes (
    id   TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('request', 'case')),
    xact BIGINT NOT NULL
);
CREATE INDEX stats_changes_xact ON stats_changes (xact);

CREATE FUNCTION stats_changes_requests() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_changes (id, kind, xact)
    SELECT DISTINCT request_id, 'request', CAST(CAST(pg_current_xact_id() AS TEXT) AS BIGINT)
    FROM appended
    ON CONFLICT (id) DO UPDATE SET xact = excluded.xact;
    RETURN NULL;
END;
$$;
CREATE TRIGGER stats_changes_requests AFTER INSERT ON request_events
REFERENCING NEW TABLE AS appended
FOR EACH STATEMENT EXECUTE FUNCTION stats_changes_requests();

CREATE FUNCTION stats_changes_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_changes (id, kind, xact)
    SELECT DISTINCT case_id, 'case', CAST(CAST(pg_current_xact_id() AS TEXT) AS BIGINT)
    FROM appended
    ON CONFLICT (id) DO UPDATE SET xact = excluded.xact;
    RETURN NULL;
END;
$$;
CREATE TRIGGER stats_changes_cases AFTER INSERT ON case_events
REFERENCING NEW TABLE AS appended
FOR EACH STATEMENT EXECUTE FUNCTION stats_changes_cases();
