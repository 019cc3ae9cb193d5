-- The alert outbox. A scan decides, in one transaction, which breaches are
-- new (one notification per request, rule, episode and recipient, ever) and
-- groups each recipient's new ones into a digest: one email per recipient
-- per run. The delivery loop sends digests and marks them sent only after
-- the mail server accepted them.

CREATE TABLE alert_runs (
    id                    TEXT PRIMARY KEY NOT NULL,
    started_at            TIMESTAMP NOT NULL,
    as_of                 DATE NOT NULL,
    origin                TEXT NOT NULL,
    stalled               INTEGER NOT NULL,
    notifications_created INTEGER NOT NULL
);

CREATE TABLE alert_digests (
    id              TEXT PRIMARY KEY NOT NULL,
    run_id          TEXT NOT NULL REFERENCES alert_runs (id),
    recipient       TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT,
    sent_at         TIMESTAMP,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX alert_digests_due ON alert_digests (state, next_attempt_at);
CREATE INDEX alert_digests_run ON alert_digests (run_id);

CREATE TABLE alert_notifications (
    id           INTEGER PRIMARY KEY NOT NULL,
    digest_id    TEXT NOT NULL REFERENCES alert_digests (id),
    -- No foreign key: only a scan writes this column, from the request it
    -- has just read in the same transaction, and requests are never deleted;
    -- a foreign key would probe the requests index once more for each of
    -- the hundreds of thousands of rows a first run over a backlog writes.
    request_id   TEXT NOT NULL,
    rule         TEXT NOT NULL,
    level        INTEGER NOT NULL,
    episode      DATE NOT NULL,
    recipient    TEXT NOT NULL,
    overdue_days INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    -- Episode first: a scan walks each status oldest `status_since` first,
    -- so its inserts land next to each other instead of all over the index.
    UNIQUE (episode, request_id, rule, recipient)
);
-- Covers what delivery asks of a digest (how many requests, the most urgent
-- ones) without reading the table.
CREATE INDEX alert_notifications_digest
    ON alert_notifications (digest_id, request_id, level, overdue_days);
