-- `emergency` requests become `urgent`: the closest priority before this
-- migration.
UPDATE requests SET priority = 'urgent' WHERE priority = 'emergency';
ALTER TABLE requests DROP COLUMN sent_time;
