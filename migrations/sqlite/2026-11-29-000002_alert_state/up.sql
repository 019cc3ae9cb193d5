-- What the alerts need beside the record: the snooze and the last time we
-- chased the requested state. One row per request that has either.
CREATE TABLE request_alert_state (
    request_id        TEXT PRIMARY KEY NOT NULL REFERENCES requests (id),
    snoozed_until     DATE,
    snooze_reason     TEXT,
    last_follow_up_on DATE,
    last_follow_up_channel TEXT,
    updated_at        TIMESTAMP NOT NULL
);
