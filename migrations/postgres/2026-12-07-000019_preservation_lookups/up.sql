-- A case's page lists its own preservations and its requests', released
-- ones too, which the scan's partial indexes leave out: without these, each
-- page read every preservation (0.3 s at 1,000,000 requests). No row
-- changes.
CREATE INDEX preservations_of_request ON preservations (request_id);
CREATE INDEX preservations_of_case ON preservations (case_id);
