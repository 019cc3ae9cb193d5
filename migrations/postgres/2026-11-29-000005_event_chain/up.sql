-- The tamper-evident history (README "Tamper-evident history"): every event
-- carries the SHA-256 of its content and of the previous event's hash, and
-- the last link of every chain is kept apart so that deleting the newest
-- events is caught too. The hashes are computed in Rust (src/db/events.rs),
-- the same code for both backends. Rows written before this migration are
-- hashed by a one-off backfill that runs right after the migrations
-- (events::backfill_chains), while the marker below says it is pending.
ALTER TABLE request_events ADD COLUMN prev_hash TEXT;
ALTER TABLE request_events ADD COLUMN hash TEXT;

-- The newest link of each chain, kept by the trigger below.
CREATE TABLE request_event_heads (
    request_id TEXT PRIMARY KEY NOT NULL,
    seq        INTEGER NOT NULL,
    hash       TEXT NOT NULL
);

-- One row while rows written before this migration still need their hashes.
CREATE TABLE event_chain_backfill (pending INTEGER PRIMARY KEY NOT NULL);
INSERT INTO event_chain_backfill (pending)
SELECT 1 WHERE EXISTS (SELECT 1 FROM request_events);

CREATE FUNCTION request_event_heads_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.hash IS NOT NULL THEN
        INSERT INTO request_event_heads AS h (request_id, seq, hash)
        VALUES (NEW.request_id, NEW.seq, NEW.hash)
        ON CONFLICT (request_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
        WHERE excluded.seq >= h.seq;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER request_event_heads_keep AFTER INSERT OR UPDATE OF hash ON request_events
FOR EACH ROW EXECUTE FUNCTION request_event_heads_keep();

-- Still append-only; the one update allowed is the backfill's: giving a row
-- written before this migration its hashes, nothing else, while pending.
CREATE OR REPLACE FUNCTION request_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND NEW.hash IS NOT NULL
        AND EXISTS (SELECT 1 FROM event_chain_backfill)
        AND (NEW.id, NEW.request_id, NEW.seq, NEW.kind, NEW.actor_id, NEW.recorded_at,
             NEW.effective_date, NEW.from_status, NEW.to_status, NEW.changes, NEW.note)
            IS NOT DISTINCT FROM
            (OLD.id, OLD.request_id, OLD.seq, OLD.kind, OLD.actor_id, OLD.recorded_at,
             OLD.effective_date, OLD.from_status, OLD.to_status, OLD.changes, OLD.note)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'request_events is append-only';
END;
$$;
