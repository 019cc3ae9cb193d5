-- The statistics' covering index also carries what their newer figures and
-- filters read: the acknowledgement (the first of the three clocks), the
-- priority, the measures and the facilitators. No row changes.
DROP INDEX requests_stats;
CREATE INDEX requests_stats ON requests (
    target_country, sent_at, status, status_since, first_response_at, acknowledged_at,
    closed_at, abandonment_reason, refusal_ground, legal_basis, channel, priority,
    offences, measures, facilitators, record_key
);
