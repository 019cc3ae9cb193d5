DROP TRIGGER request_events_no_update;
CREATE TRIGGER request_events_no_update BEFORE UPDATE ON request_events
BEGIN SELECT RAISE(ABORT, 'request_events is append-only'); END;
DROP TRIGGER request_event_heads_backfill;
DROP TRIGGER request_event_heads_insert;
DROP TABLE event_chain_backfill;
DROP TABLE request_event_heads;
ALTER TABLE request_events DROP COLUMN hash;
ALTER TABLE request_events DROP COLUMN prev_hash;
