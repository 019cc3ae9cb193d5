-- Each request's record key: a secret random number in [0, 2^32) from which
-- the published statistics derive their consistent perturbation (cell-key
-- method, docs/DOMAIN.md §9). Existing requests draw theirs here; new ones
-- get theirs when inserted (no default: an insert without one fails). Never
-- shown, never changed.
DROP INDEX requests_stats;
ALTER TABLE requests ADD COLUMN record_key BIGINT NOT NULL
    DEFAULT floor(random() * 4294967296)::bigint;
ALTER TABLE requests ALTER COLUMN record_key DROP DEFAULT;
ALTER TABLE requests ADD CONSTRAINT requests_record_key_range
    CHECK (record_key >= 0 AND record_key < 4294967296);
-- The statistics sum the keys of the requests they count: the covering
-- index carries them.
CREATE INDEX requests_stats ON requests (
    target_country, sent_at, status, status_since, first_response_at, closed_at,
    abandonment_reason, refusal_ground, legal_basis, channel, offences, record_key
);
