DROP TABLE request_events;
DROP TABLE reference_counters;
DROP TABLE requests_search;
DROP TABLE requests;
DROP TABLE users;
