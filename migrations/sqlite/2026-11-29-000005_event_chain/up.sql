-- The tamper-evident history (README "Tamper-evident history"): every event
-- carries the SHA-256 of its content and of the previous event's hash, and
-- the last link of every chain is kept apart so that deleting the newest
-- events is caught too. The hashes are computed in Rust (src/db/events.rs):
-- SQLite has no SHA-256, and one implementation of the scheme is safer than
-- two. Rows written before this migration are hashed by a one-off backfill
-- that runs right after the migrations (events::backfill_chains), while the
-- marker below says it is pending.
ALTER TABLE request_events ADD COLUMN prev_hash TEXT;
ALTER TABLE request_events ADD COLUMN hash TEXT;

-- The newest link of each chain, kept by the triggers below.
CREATE TABLE request_event_heads (
    request_id TEXT PRIMARY KEY NOT NULL,
    seq        INTEGER NOT NULL,
    hash       TEXT NOT NULL
);

-- One row while rows written before this migration still need their hashes.
CREATE TABLE event_chain_backfill (pending INTEGER PRIMARY KEY NOT NULL);
INSERT INTO event_chain_backfill (pending)
SELECT 1 WHERE EXISTS (SELECT 1 FROM request_events);

CREATE TRIGGER request_event_heads_insert AFTER INSERT ON request_events
WHEN new.hash IS NOT NULL
BEGIN
    INSERT INTO request_event_heads (request_id, seq, hash)
    VALUES (new.request_id, new.seq, new.hash)
    ON CONFLICT (request_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
    WHERE excluded.seq >= request_event_heads.seq;
END;
CREATE TRIGGER request_event_heads_backfill AFTER UPDATE OF hash ON request_events
WHEN new.hash IS NOT NULL
BEGIN
    INSERT INTO request_event_heads (request_id, seq, hash)
    VALUES (new.request_id, new.seq, new.hash)
    ON CONFLICT (request_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
    WHERE excluded.seq >= request_event_heads.seq;
END;

-- Still append-only; the one update allowed is the backfill's: giving a row
-- written before this migration its hashes, nothing else, while pending.
DROP TRIGGER request_events_no_update;
CREATE TRIGGER request_events_no_update BEFORE UPDATE ON request_events
WHEN old.hash IS NOT NULL OR new.hash IS NULL
    OR NOT EXISTS (SELECT 1 FROM event_chain_backfill)
    OR new.id IS NOT old.id OR new.request_id IS NOT old.request_id
    OR new.seq IS NOT old.seq OR new.kind IS NOT old.kind
    OR new.actor_id IS NOT old.actor_id OR new.recorded_at IS NOT old.recorded_at
    OR new.effective_date IS NOT old.effective_date
    OR new.from_status IS NOT old.from_status OR new.to_status IS NOT old.to_status
    OR new.changes IS NOT old.changes OR new.note IS NOT old.note
BEGIN SELECT RAISE(ABORT, 'request_events is append-only'); END;
