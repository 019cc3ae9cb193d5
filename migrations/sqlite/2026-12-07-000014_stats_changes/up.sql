-- The change log the statistics keep their in-memory copy of the register
-- current from (src/stats/register.rs, src/db/register.rs): for each request
-- or case, when it last changed. Every change to either appends to its
-- history in the same transaction, so a trigger on the histories keeps it.
-- One row per request or case, so it grows with the register, not with
-- every event.
--
-- SQLite has one writer at a time, so `seq` (one more than the largest)
-- grows in commit order and "everything after the last `seq` read" misses
-- nothing. No existing row changes: a copy starts from a full read.
CREATE TABLE stats_changes (
    id   TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('request', 'case')),
    seq  INTEGER NOT NULL
);
CREATE INDEX stats_changes_seq ON stats_changes (seq);
CREATE TRIGGER stats_changes_requests AFTER INSERT ON request_events
BEGIN
    INSERT INTO stats_changes (id, kind, seq)
    VALUES (new.request_id, 'request', (SELECT COALESCE(MAX(seq), 0) + 1 FROM stats_changes))
    ON CONFLICT (id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER stats_changes_cases AFTER INSERT ON case_events
BEGIN
    INSERT INTO stats_changes (id, kind, seq)
    VALUES (new.case_id, 'case', (SELECT COALESCE(MAX(seq), 0) + 1 FROM stats_changes))
    ON CONFLICT (id) DO UPDATE SET seq = excluded.seq;
END;
