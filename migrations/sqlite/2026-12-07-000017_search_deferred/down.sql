DROP TRIGGER requests_search_insert;
DROP TRIGGER requests_search_delete;
DROP TRIGGER requests_search_update;
CREATE TRIGGER requests_search_insert AFTER INSERT ON requests BEGIN
    INSERT INTO requests_search (rowid, search_text) VALUES (new.row_key, new.search_text);
END;
CREATE TRIGGER requests_search_delete AFTER DELETE ON requests BEGIN
    INSERT INTO requests_search (requests_search, rowid, search_text)
    VALUES ('delete', old.row_key, old.search_text);
END;
CREATE TRIGGER requests_search_update AFTER UPDATE OF search_text ON requests BEGIN
    INSERT INTO requests_search (requests_search, rowid, search_text)
    VALUES ('delete', old.row_key, old.search_text);
    INSERT INTO requests_search (rowid, search_text) VALUES (new.row_key, new.search_text);
END;

DROP TRIGGER cases_search_insert;
DROP TRIGGER cases_search_delete;
DROP TRIGGER cases_search_update;
CREATE TRIGGER cases_search_insert AFTER INSERT ON cases BEGIN
    INSERT INTO cases_search (rowid, search_text) VALUES (new.row_key, new.search_text);
END;
CREATE TRIGGER cases_search_delete AFTER DELETE ON cases BEGIN
    INSERT INTO cases_search (cases_search, rowid, search_text)
    VALUES ('delete', old.row_key, old.search_text);
END;
CREATE TRIGGER cases_search_update AFTER UPDATE OF search_text ON cases BEGIN
    INSERT INTO cases_search (cases_search, rowid, search_text)
    VALUES ('delete', old.row_key, old.search_text);
    INSERT INTO cases_search (rowid, search_text) VALUES (new.row_key, new.search_text);
END;

DROP TABLE search_deferred;
