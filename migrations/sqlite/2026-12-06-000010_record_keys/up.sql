-- Each request's record key: a secret random number in [0, 2^32) from which
-- the published statistics derive their consistent perturbation (cell-key
-- method, docs/DOMAIN.md §9). Existing requests draw theirs here; new ones
-- get theirs when inserted. Never shown, never changed.
DROP INDEX requests_stats;
ALTER TABLE requests ADD COLUMN record_key INTEGER NOT NULL DEFAULT 0;
UPDATE requests SET record_key = random() & 4294967295;
-- The statistics sum the keys of the requests they count: the covering
-- index carries them.
CREATE INDEX requests_stats ON requests (
    target_country, sent_at, status, status_since, first_response_at, closed_at,
    abandonment_reason, refusal_ground, legal_basis, channel, offences, record_key
);
