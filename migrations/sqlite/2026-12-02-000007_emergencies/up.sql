-- Emergencies (docs/DOMAIN.md §7.5): the instant a request left, UTC, so
-- that rules can count hours from it. Existing requests have none; the
-- hour rules count from the start of their `sent_at` day instead.
ALTER TABLE requests ADD COLUMN sent_time TIMESTAMP;
