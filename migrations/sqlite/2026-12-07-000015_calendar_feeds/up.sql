-- Personal calendar feeds (docs/DOMAIN.md §7.6): at most one per user, known
-- by the SHA-256 of the secret in its URL, never by the secret. Issuing a new
-- URL replaces the row; revoking deletes it. The feed is read-only and its
-- secret signs no one in: it is looked up here, never among the users' tokens.
CREATE TABLE calendar_feeds (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL UNIQUE REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
-- A clerk's feed holds the requests they recorded; a coordinator's, those
-- too and the ones whose coordinator_email is theirs (compared lower-cased).
CREATE INDEX requests_created_by ON requests (created_by);
CREATE INDEX requests_coordinator_email ON requests (lower(coordinator_email));
