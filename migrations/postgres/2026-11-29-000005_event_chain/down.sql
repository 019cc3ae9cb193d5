CREATE OR REPLACE FUNCTION request_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'request_events is append-only';
END;
$$;
DROP TRIGGER request_event_heads_keep ON request_events;
DROP FUNCTION request_event_heads_keep();
DROP TABLE event_chain_backfill;
DROP TABLE request_event_heads;
ALTER TABLE request_events DROP COLUMN hash;
ALTER TABLE request_events DROP COLUMN prev_hash;
