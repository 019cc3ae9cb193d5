DROP TABLE request_events;
DROP TABLE reference_counters;
DROP TABLE requests;
DROP TABLE users;
