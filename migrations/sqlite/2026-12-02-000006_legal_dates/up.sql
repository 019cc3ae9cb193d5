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

UPDATE requests SET acknowledged_at = (
    SELECT MIN(e.effective_date) FROM request_events e
    WHERE e.request_id = requests.id AND e.kind = 'transition'
      AND e.to_status = 'acknowledged'
);

-- Every request, not only those with a first reply on record: the history
-- decides, whatever the column said.
UPDATE requests SET first_response_at = (
    SELECT MIN(e.effective_date) FROM request_events e
    WHERE e.request_id = requests.id AND e.kind = 'transition'
      AND e.to_status IN ('additional_info_requested', 'postponed', 'in_execution',
                          'partially_executed', 'executed', 'refused')
);
