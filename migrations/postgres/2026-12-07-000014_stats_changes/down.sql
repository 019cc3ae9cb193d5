DROP TRIGGER stats_changes_cases ON case_events;
DROP FUNCTION stats_changes_cases();
DROP TRIGGER stats_changes_requests ON request_events;
DROP FUNCTION stats_changes_requests();
DROP TABLE stats_changes;
