DROP TRIGGER stats_changes_cases;
DROP TRIGGER stats_changes_requests;
DROP TABLE stats_changes;
