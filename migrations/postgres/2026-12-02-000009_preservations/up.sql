-- Data preservation (docs/DOMAIN.md §2.4): a holder asked to keep data until
-- it is formally requested, for a request or for a case; its expiry, its
-- renewals and its release. The events of each change are in the history of
-- what it belongs to (the request's or the case's chain); the renewals are
-- also kept here, append-only, to be listed with the preservation.
CREATE TABLE preservations (
    id          TEXT PRIMARY KEY NOT NULL,
    request_id  TEXT REFERENCES requests (id),
    case_id     TEXT REFERENCES cases (id),
    holder      TEXT NOT NULL,
    country     TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    sent_at     DATE NOT NULL,
    expires_on  DATE NOT NULL,
    released_on DATE,
    version     INTEGER NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    CHECK ((request_id IS NULL) <> (case_id IS NULL)),
    CHECK (expires_on > sent_at)
);
-- The scan's question: what is not released and expires soon, for a
-- request or for a case's requests to the holder's country.
CREATE INDEX preservations_request ON preservations (request_id, expires_on)
    WHERE released_on IS NULL AND request_id IS NOT NULL;
CREATE INDEX preservations_case ON preservations (case_id, country, expires_on)
    WHERE released_on IS NULL AND case_id IS NOT NULL;
-- `GET /preservations?expiring_within=N`, soonest first.
CREATE INDEX preservations_expiry ON preservations (expires_on, id);

CREATE TABLE preservation_renewals (
    preservation_id     TEXT NOT NULL REFERENCES preservations (id),
    seq                 INTEGER NOT NULL,
    effective_date      DATE NOT NULL,
    previous_expires_on DATE NOT NULL,
    expires_on          DATE NOT NULL,
    recorded_by         TEXT NOT NULL REFERENCES users (id),
    recorded_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (preservation_id, seq)
);
CREATE FUNCTION preservation_renewals_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'preservation_renewals is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER preservation_renewals_append_only
BEFORE UPDATE OR DELETE ON preservation_renewals
FOR EACH ROW EXECUTE FUNCTION preservation_renewals_append_only();
