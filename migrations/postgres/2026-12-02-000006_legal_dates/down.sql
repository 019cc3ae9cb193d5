-- Back to `first_response_at` as the first reply of any kind, the
-- acknowledgement included.
UPDATE requests SET first_response_at = (
    SELECT MIN(e.effective_date) FROM request_events e
    WHERE e.request_id = requests.id AND e.kind = 'transition'
      AND e.to_status IN ('acknowledged', 'additional_info_requested', 'in_execution',
                          'partially_executed', 'executed', 'refused')
);
ALTER TABLE requests DROP COLUMN deadline_extension_reason;
ALTER TABLE requests DROP COLUMN deadline_extended_to;
ALTER TABLE requests DROP COLUMN recognised_at;
ALTER TABLE requests DROP COLUMN acknowledged_at;
ALTER TABLE requests DROP COLUMN received_at;
