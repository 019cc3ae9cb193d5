DROP TABLE alert_notifications;
DROP TABLE alert_digests;
DROP TABLE alert_runs;
