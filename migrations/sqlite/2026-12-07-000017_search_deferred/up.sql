-- A bulk write (the importer) can defer the search indexes of the requests
-- and cases it inserts to one statement at its end, inside its own
-- transaction (src/db/bulk.rs). FTS5 writes its pending terms to disk at
-- every statement of a transaction once it has been written to, so a
-- long transaction of small inserts pays a segment, and its merging, per
-- statement: a fifth of an import's time.
--
-- While the transaction holds a row here, a request or case whose
-- `row_key` is above the one recorded is left out of the search index
-- (insert, update and delete alike): the transaction indexes them all at
-- its end and deletes the row before it commits, so no other connection
-- ever sees it, and a crash takes it back with the rest.
CREATE TABLE search_deferred (
    only_row      INTEGER PRIMARY KEY CHECK (only_row = 1),
    requests_after INTEGER NOT NULL,
    cases_after    INTEGER NOT NULL
);

DROP TRIGGER requests_search_insert;
DROP TRIGGER requests_search_delete;
DROP TRIGGER requests_search_update;
CREATE TRIGGER requests_search_insert AFTER INSERT ON requests
WHEN NOT EXISTS (SELECT 1 FROM search_deferred WHERE new.row_key > requests_after)
BEGIN
    INSERT INTO requests_search (rowid, search_text) VALUES (new.row_key, new.search_text);
END;
CREATE TRIGGER requests_search_delete AFTER DELETE ON requests
WHEN NOT EXISTS (SELECT 1 FROM search_deferred WHERE old.row_key > requests_after)
BEGIN
    INSERT INTO requests_search (requests_search, rowid, search_text)
    VALUES ('delete', old.row_key, old.search_text);
END;
CREATE TRIGGER requests_search_update AFTER UPDATE OF search_text ON requests
WHEN NOT EXISTS (SELECT 1 FROM search_deferred WHERE old.row_key > requests_after)
BEGIN
    INSERT INTO requests_search (requests_search, rowid, search_text)
    VALUES ('delete', old.row_key, old.search_text);
    INSERT INTO requests_search (rowid, search_text) VALUES (new.row_key, new.search_text);
END;

DROP TRIGGER cases_search_insert;
DROP TRIGGER cases_search_delete;
DROP TRIGGER cases_search_update;
CREATE TRIGGER cases_search_insert AFTER INSERT ON cases
WHEN NOT EXISTS (SELECT 1 FROM search_deferred WHERE new.row_key > cases_after)
BEGIN
    INSERT INTO cases_search (rowid, search_text) VALUES (new.row_key, new.search_text);
END;
CREATE TRIGGER cases_search_delete AFTER DELETE ON cases
WHEN NOT EXISTS (SELECT 1 FROM search_deferred WHERE old.row_key > cases_after)
BEGIN
    INSERT INTO cases_search (cases_search, rowid, search_text)
    VALUES ('delete', old.row_key, old.search_text);
END;
CREATE TRIGGER cases_search_update AFTER UPDATE OF search_text ON cases
WHEN NOT EXISTS (SELECT 1 FROM search_deferred WHERE old.row_key > cases_after)
BEGIN
    INSERT INTO cases_search (cases_search, rowid, search_text)
    VALUES ('delete', old.row_key, old.search_text);
    INSERT INTO cases_search (rowid, search_text) VALUES (new.row_key, new.search_text);
END;
