-- Back to requests without cases. Lossy where the old schema has no room:
-- a case's victims go back to one of its requests (the first executed or
-- partially executed one, else its first sent one, else its first); each
-- request keeps one outgoing link, of any kind, as `related_request_id`;
-- a facilitator becomes the channel again only where the channel is
-- `other`; cases, their histories and the measure outcomes are dropped.
-- Request events are left as they are.
ALTER TABLE requests ADD COLUMN victims_identified INTEGER CHECK (victims_identified >= 0);
ALTER TABLE requests ADD COLUMN related_request_id TEXT REFERENCES requests (id);

UPDATE requests AS r SET victims_identified = c.victims_identified
FROM (SELECT DISTINCT ON (q.case_id) q.id, q.case_id
      FROM requests AS q JOIN cases AS k ON k.id = q.case_id
      WHERE k.victims_identified IS NOT NULL
      ORDER BY q.case_id,
               CASE WHEN q.status IN ('executed', 'partially_executed') THEN 0 ELSE 1 END,
               q.sent_at IS NULL, q.sent_at, q.created_at, q.id) AS chosen
JOIN cases AS c ON c.id = chosen.case_id
WHERE r.id = chosen.id;

UPDATE requests AS r SET related_request_id = first.to_request_id
FROM (SELECT DISTINCT ON (from_request_id) from_request_id, to_request_id
      FROM request_links ORDER BY from_request_id, created_at, id) AS first
WHERE r.id = first.from_request_id;

UPDATE requests SET channel = facilitators::json ->> 0
WHERE channel = 'other' AND facilitators <> '[]';

DROP INDEX requests_stats;
CREATE INDEX requests_stats ON requests (
    target_country, sent_at, status, status_since, first_response_at, closed_at,
    abandonment_reason, refusal_ground, victims_identified, legal_basis, channel, offences
);

DROP TABLE request_links;
DROP INDEX requests_case;
ALTER TABLE requests DROP COLUMN measure_outcomes;
ALTER TABLE requests DROP COLUMN facilitators;
ALTER TABLE requests DROP COLUMN case_id;
DROP TABLE case_history_backfill;
DROP TABLE case_event_heads;
DROP TABLE case_events;
DROP FUNCTION case_events_append_only();
DROP FUNCTION case_event_heads_keep();
DROP TABLE cases;
