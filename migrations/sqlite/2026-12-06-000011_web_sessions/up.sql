-- Sign-in to the web pages: a password (Argon2id, PHC string) and a language
-- per user, and server-side sessions. A session is known by the SHA-256 of
-- the secret its cookie holds, never by the secret; it ends at sign-out, when
-- idle too long (last_seen_at) or when too old (created_at), as the settings
-- `web.session_idle_seconds` and `web.session_absolute_seconds` say.
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN password_changed_at TIMESTAMP;
ALTER TABLE users ADD COLUMN language TEXT CHECK (language IN ('fr', 'en'));
CREATE TABLE web_sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
-- One-time links that let a person set their password (an invitation, or a
-- reset an admin sends), known by the SHA-256 of the secret in the link.
-- A link works once (used_at), until expires_at, and only while it is its
-- user's latest.
CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX invitations_user ON invitations (user_id);
