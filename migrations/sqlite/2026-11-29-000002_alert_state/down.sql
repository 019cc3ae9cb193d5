DROP TABLE request_alert_state;
