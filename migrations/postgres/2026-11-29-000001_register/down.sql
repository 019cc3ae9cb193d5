DROP TABLE request_events;
DROP TABLE reference_counters;
DROP TABLE requests;
DROP TABLE users;
DROP FUNCTION request_events_append_only;
