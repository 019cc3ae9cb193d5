-- The request register. Column types both backends have, so that one diesel
-- schema (src/db/schema.rs) serves SQLite and PostgreSQL: UUIDs as text,
-- effective dates as DATE, instants as TIMESTAMP in UTC, lists and nested
-- objects as JSON text.

CREATE TABLE users (
    id               TEXT PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL,
    email            TEXT NOT NULL UNIQUE,
    role             TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'clerk', 'analyst')),
    -- SHA-256 of the bearer token, hex; the token itself is never stored.
    token_hash       TEXT UNIQUE,
    token_created_at TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    deactivated_at   TIMESTAMP
);

CREATE TABLE requests (
    id                  TEXT PRIMARY KEY NOT NULL,
    reference           TEXT NOT NULL UNIQUE,
    case_reference      TEXT NOT NULL,
    title               TEXT NOT NULL,
    issuing_magistrate  TEXT NOT NULL,
    target_country      TEXT NOT NULL,
    requested_authority TEXT,
    channel             TEXT,
    legal_basis         TEXT,
    legal_basis_detail  TEXT,
    offences            TEXT NOT NULL,
    measures            TEXT NOT NULL,
    priority            TEXT NOT NULL,
    coordinator_email   TEXT,
    status              TEXT NOT NULL,
    status_since        DATE NOT NULL,
    sent_at             DATE,
    first_response_at   DATE,
    closed_at           DATE,
    abandonment_reason  TEXT,
    refusal_ground      TEXT,
    outcome_note        TEXT,
    victims_identified  INTEGER CHECK (victims_identified >= 0),
    foreign_reference   TEXT,
    needed_by           DATE,
    related_request_id  TEXT REFERENCES requests (id),
    version             INTEGER NOT NULL,
    created_by          TEXT NOT NULL REFERENCES users (id),
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    -- Lower-cased reference, case reference, title and magistrate, for `q`.
    search_text         TEXT NOT NULL
);

-- Keyset pagination: one index per sort key, tie-broken by id, and the
-- common filters (status, country) in front of the default and date sorts.
CREATE INDEX requests_created_at ON requests (created_at, id);
CREATE INDEX requests_status_since ON requests (status_since, id);
CREATE INDEX requests_sent_at ON requests (sent_at, id);
CREATE INDEX requests_status ON requests (status, status_since, id);
CREATE INDEX requests_status_created ON requests (status, created_at, id);
CREATE INDEX requests_country ON requests (target_country, sent_at, id);
CREATE INDEX requests_country_created ON requests (target_country, created_at, id);

-- `q` searches: a trigram index answers LIKE '%…%' without a table scan.
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX requests_search ON requests USING gin (search_text gin_trgm_ops);

-- Hands out MLA-YYYY-NNNNN numbers.
CREATE TABLE reference_counters (
    year INTEGER PRIMARY KEY NOT NULL,
    last INTEGER NOT NULL
);

-- The history: append-only.
CREATE TABLE request_events (
    id             TEXT PRIMARY KEY NOT NULL,
    request_id     TEXT NOT NULL REFERENCES requests (id),
    seq            INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    actor_id       TEXT NOT NULL REFERENCES users (id),
    recorded_at    TIMESTAMP NOT NULL,
    effective_date DATE NOT NULL,
    from_status    TEXT,
    to_status      TEXT,
    changes        TEXT NOT NULL,
    note           TEXT,
    UNIQUE (request_id, seq)
);

CREATE FUNCTION request_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'request_events is append-only';
END;
$$;
CREATE TRIGGER request_events_append_only BEFORE UPDATE OR DELETE ON request_events
FOR EACH ROW EXECUTE FUNCTION request_events_append_only();
