-- The dates the instruments count from (docs/DOMAIN.md §4): the requested
-- state's receipt, its first acknowledgement, its recognition decision, and
-- a deadline it extended. `first_response_at` becomes the first
-- substantive response: an acknowledgement of receipt is not an answer.
-- Both are re-derived from the history, which this migration leaves alone,
-- so `audit verify` holds afterwards.
ALTER TABLE requests ADD COLUMN received_at DATE;
ALTER TABLE requests ADD COLUMN acknowledged_at DATE;
ALTER TABLE requests ADD COLUMN recognised_at DATE;
ALTER TABLE requests ADD COLUMN deadline_extended_to DATE;
ALTER TABLE requests ADD COLUMN deadline_extension_reason TEXT;

-- One grouped pass over the history, and one new version of each row that
-- changes (PostgreSQL rewrites a row, and its index entries, on every
-- update).
UPDATE requests
SET acknowledged_at = history.acknowledged, first_response_at = history.substantive
FROM (
    SELECT request_id,
           MIN(CASE WHEN to_status = 'acknowledged' THEN effective_date END) AS acknowledged,
           MIN(CASE WHEN to_status IN ('additional_info_requested', 'postponed',
                                       'in_execution', 'partially_executed',
                                       'executed', 'refused')
                    THEN effective_date END) AS substantive
    FROM request_events
    WHERE kind = 'transition'
    GROUP BY request_id
) AS history
WHERE requests.id = history.request_id
  AND (history.acknowledged IS NOT NULL
       OR requests.first_response_at IS DISTINCT FROM history.substantive);
