DROP TABLE invitations;
DROP TABLE web_sessions;
ALTER TABLE users DROP COLUMN language;
ALTER TABLE users DROP COLUMN password_changed_at;
ALTER TABLE users DROP COLUMN password_hash;
