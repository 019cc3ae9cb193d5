DROP INDEX requests_stats;
ALTER TABLE requests DROP COLUMN record_key;
CREATE INDEX requests_stats ON requests (
    target_country, sent_at, status, status_since, first_response_at, closed_at,
    abandonment_reason, refusal_ground, legal_basis, channel, offences
);
