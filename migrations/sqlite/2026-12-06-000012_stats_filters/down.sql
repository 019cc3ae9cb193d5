DROP INDEX requests_stats;
CREATE INDEX requests_stats ON requests (
    target_country, sent_at, status, status_since, first_response_at, closed_at,
    abandonment_reason, refusal_ground, legal_basis, channel, offences, record_key
);
