DROP INDEX requests_coordinator_email;
DROP INDEX requests_created_by;
DROP TABLE calendar_feeds;
