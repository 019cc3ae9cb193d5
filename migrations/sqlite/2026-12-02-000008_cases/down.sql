-- Back to requests without cases. Lossy where the old schema has no room:
-- a case's victims go back to one of its requests (the first executed or
-- partially executed one, else its first sent one, else its first); each
-- request keeps one outgoing link, of any kind, as `related_request_id`;
-- a facilitator becomes the channel again only where the channel is
-- `other`; cases, their histories and the measure outcomes are dropped.
-- Request events are left as they are.
ALTER TABLE requests ADD COLUMN victims_identified INTEGER CHECK (victims_identified >= 0);
ALTER TABLE requests ADD COLUMN related_request_id TEXT REFERENCES requests (id);

UPDATE requests SET victims_identified = (
    SELECT c.victims_identified FROM cases AS c WHERE c.id = requests.case_id
)
WHERE case_id IN (SELECT id FROM cases WHERE victims_identified IS NOT NULL)
  AND id = (
    SELECT r.id FROM requests AS r WHERE r.case_id = requests.case_id
    ORDER BY CASE WHEN r.status IN ('executed', 'partially_executed') THEN 0 ELSE 1 END,
             r.sent_at IS NULL, r.sent_at, r.created_at, r.id
    LIMIT 1
);

UPDATE requests SET related_request_id = (
    SELECT l.to_request_id FROM request_links AS l WHERE l.from_request_id = requests.id
    ORDER BY l.created_at, l.id LIMIT 1
);

UPDATE requests SET channel = json_extract(facilitators, '$[0]')
WHERE channel = 'other' AND facilitators <> '[]';

DROP INDEX requests_stats;
CREATE INDEX requests_stats ON requests (
    target_country, sent_at, status, status_since, first_response_at, closed_at,
    abandonment_reason, refusal_ground, victims_identified, legal_basis, channel, offences
);

DROP TABLE request_links;
DROP TRIGGER requests_case_required_insert;
DROP TRIGGER requests_case_required_update;
DROP INDEX requests_case;
ALTER TABLE requests DROP COLUMN measure_outcomes;
ALTER TABLE requests DROP COLUMN facilitators;
ALTER TABLE requests DROP COLUMN case_id;
DROP TABLE case_history_backfill;
DROP TABLE case_event_heads;
DROP TABLE case_events;
DROP TABLE cases_search;
DROP TABLE cases;
