-- Cases (docs/DOMAIN.md §2.2): the domestic proceedings a request serves,
-- with what belongs to them as a whole — the victims, counted once per case
-- instead of once per request. Typed links between requests replace
-- `related_request_id`; the facilitators (Eurojust, the EJN, a liaison
-- magistrate, Interpol) leave `channel` for a list of their own; what became
-- of each measure is recorded per request.
--
-- Every request and every event is carried forward; no request event is
-- added or changed, so `audit verify` holds. What this migration does to the
-- requests (docs/DECISIONS.md, "The migration to cases"):
-- - one case per distinct `case_reference`, taking its title, magistrate,
--   offences, creator and creation time from the earliest request of that
--   reference (created_at, then id); its `victims_identified` is the
--   largest value its requests recorded, NULL when none did;
-- - each request gets that case's id;
-- - a channel `eurojust`, `ejn`, `liaison_magistrate` or `interpol` becomes
--   that facilitator, and the channel `other` (the route is not known);
-- - each `related_request_id` becomes a `follow_up_of` link (where two
--   requests named each other, the one created later keeps its link);
-- - `victims_identified` and `related_request_id` leave the requests.
-- Each case's `created` event, with the hash that chains it, is written by
-- `mla-tracker migrate` right after this migration (db::cases::
-- backfill_created_events: SQLite has no SHA-256), from the rows of
-- `case_history_backfill`, which say where the case came from.

CREATE TABLE cases (
    -- A stable integer key for the full-text index, as for requests.
    row_key                    INTEGER PRIMARY KEY,
    id                         TEXT NOT NULL UNIQUE,
    case_reference             TEXT NOT NULL UNIQUE,
    title                      TEXT NOT NULL,
    issuing_magistrate         TEXT NOT NULL,
    offences                   TEXT NOT NULL,
    trial_date                 DATE,
    victims_identified         INTEGER CHECK (victims_identified >= 0),
    victims_safeguarded        INTEGER CHECK (victims_safeguarded >= 0),
    foreign_proceedings_opened TEXT NOT NULL,
    version                    INTEGER NOT NULL,
    created_by                 TEXT NOT NULL REFERENCES users (id),
    created_at                 TIMESTAMP NOT NULL,
    updated_at                 TIMESTAMP NOT NULL,
    -- Lower-cased case reference, title and magistrate, for `q`.
    search_text                TEXT NOT NULL
);
CREATE INDEX cases_created_at ON cases (created_at, id);
-- The statistics count the victims of the cases that have some.
CREATE INDEX cases_with_victims ON cases (id) WHERE victims_identified > 0;

-- `q` searches, as for requests: a trigram index.
CREATE VIRTUAL TABLE cases_search USING fts5(
    search_text, content = 'cases', content_rowid = 'row_key', tokenize = 'trigram'
);
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

-- A case's history: append-only and hash-chained like a request's
-- (db/events.rs), under its own scheme tag.
CREATE TABLE case_events (
    id             TEXT PRIMARY KEY NOT NULL,
    case_id        TEXT NOT NULL REFERENCES cases (id),
    seq            INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    actor_id       TEXT NOT NULL REFERENCES users (id),
    recorded_at    TIMESTAMP NOT NULL,
    effective_date DATE NOT NULL,
    changes        TEXT NOT NULL,
    note           TEXT,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL,
    UNIQUE (case_id, seq)
);
CREATE TABLE case_event_heads (
    case_id TEXT PRIMARY KEY NOT NULL,
    seq     INTEGER NOT NULL,
    hash    TEXT NOT NULL
);
CREATE TRIGGER case_event_heads_insert AFTER INSERT ON case_events
BEGIN
    INSERT INTO case_event_heads (case_id, seq, hash)
    VALUES (new.case_id, new.seq, new.hash)
    ON CONFLICT (case_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
    WHERE excluded.seq >= case_event_heads.seq;
END;
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;

-- The cases made here, until their `created` event is written.
CREATE TABLE case_history_backfill (
    case_id         TEXT PRIMARY KEY NOT NULL REFERENCES cases (id),
    -- The reference of the request the case was made from, how many
    -- requests it gathered, and the victims each had recorded.
    first_request   TEXT NOT NULL,
    requests        INTEGER NOT NULL,
    victims_from    TEXT
);

ALTER TABLE requests ADD COLUMN case_id TEXT REFERENCES cases (id);
ALTER TABLE requests ADD COLUMN facilitators TEXT NOT NULL DEFAULT '[]';
ALTER TABLE requests ADD COLUMN measure_outcomes TEXT NOT NULL DEFAULT '{}';

CREATE TEMP TABLE migrated_cases AS
SELECT first.case_reference AS case_reference,
       first.id AS first_id,
       first.reference AS first_reference,
       lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
           || substr(lower(hex(randomblob(2))), 2) || '-'
           || substr('89ab', 1 + (abs(random()) % 4), 1)
           || substr(lower(hex(randomblob(2))), 2) || '-'
           || lower(hex(randomblob(6))) AS case_id,
       totals.requests AS requests,
       totals.victims AS victims,
       totals.victims_from AS victims_from
FROM (SELECT id, reference, case_reference,
             ROW_NUMBER() OVER (PARTITION BY case_reference ORDER BY created_at, id) AS n
      FROM requests) AS first
JOIN (SELECT case_reference, COUNT(*) AS requests, MAX(victims_identified) AS victims,
             group_concat(CASE WHEN victims_identified IS NOT NULL
                               THEN reference || ': ' || victims_identified END, ', ')
                 AS victims_from
      FROM (SELECT case_reference, reference, victims_identified FROM requests
            ORDER BY case_reference, reference)
      GROUP BY case_reference) AS totals
  ON totals.case_reference = first.case_reference
WHERE first.n = 1;

INSERT INTO cases (id, case_reference, title, issuing_magistrate, offences, trial_date,
                   victims_identified, victims_safeguarded, foreign_proceedings_opened,
                   version, created_by, created_at, updated_at, search_text)
SELECT m.case_id, r.case_reference, r.title, r.issuing_magistrate, r.offences, NULL,
       m.victims, NULL, 'unknown', 1, r.created_by, r.created_at, r.created_at,
       -- The request's search text less its first line, its (ASCII) reference:
       -- the case reference, title and magistrate, lower-cased by the
       -- application as it wrote them.
       substr(r.search_text, length(r.reference) + 2)
FROM migrated_cases AS m JOIN requests AS r ON r.id = m.first_id;

UPDATE requests SET case_id = (
    SELECT c.id FROM cases AS c WHERE c.case_reference = requests.case_reference
);

INSERT INTO case_history_backfill (case_id, first_request, requests, victims_from)
SELECT case_id, first_reference, requests, victims_from FROM migrated_cases;

DROP TABLE migrated_cases;

-- Every request belongs to a case. SQLite cannot add NOT NULL to an
-- existing column: a trigger holds the rule instead.
CREATE TRIGGER requests_case_required_insert BEFORE INSERT ON requests
WHEN new.case_id IS NULL
BEGIN SELECT RAISE(ABORT, 'a request belongs to a case: case_id is required'); END;
CREATE TRIGGER requests_case_required_update BEFORE UPDATE OF case_id ON requests
WHEN new.case_id IS NULL
BEGIN SELECT RAISE(ABORT, 'a request belongs to a case: case_id is required'); END;
CREATE INDEX requests_case ON requests (case_id, sent_at);

-- Channel or facilitator: how it travelled, who helped.
UPDATE requests SET facilitators = '["' || channel || '"]', channel = 'other'
WHERE channel IN ('eurojust', 'ejn', 'liaison_magistrate', 'interpol');

-- Typed links, one per pair of requests.
CREATE TABLE request_links (
    id              TEXT PRIMARY KEY NOT NULL,
    from_request_id TEXT NOT NULL REFERENCES requests (id),
    to_request_id   TEXT NOT NULL REFERENCES requests (id),
    kind            TEXT NOT NULL
        CHECK (kind IN ('supplements', 'supersedes', 'reissued_after_refusal', 'follow_up_of')),
    created_by      TEXT NOT NULL REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL,
    CHECK (from_request_id <> to_request_id)
);
CREATE UNIQUE INDEX request_links_pair ON request_links (
    min(from_request_id, to_request_id), max(from_request_id, to_request_id)
);
CREATE INDEX request_links_from ON request_links (from_request_id);
CREATE INDEX request_links_to ON request_links (to_request_id);

INSERT INTO request_links (id, from_request_id, to_request_id, kind, created_by, created_at)
SELECT lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
           || substr(lower(hex(randomblob(2))), 2) || '-'
           || substr('89ab', 1 + (abs(random()) % 4), 1)
           || substr(lower(hex(randomblob(2))), 2) || '-'
           || lower(hex(randomblob(6))),
       r.id, r.related_request_id, 'follow_up_of', r.created_by,
       strftime('%Y-%m-%d %H:%M:%f', 'now')
FROM requests AS r
WHERE r.related_request_id IS NOT NULL AND r.related_request_id <> r.id
  AND NOT EXISTS (
      SELECT 1 FROM requests AS o
      WHERE o.id = r.related_request_id AND o.related_request_id = r.id
        AND (o.created_at > r.created_at OR (o.created_at = r.created_at AND o.id > r.id))
  );

-- Victims are the case's now; the relation is the links'.
DROP INDEX requests_stats;
ALTER TABLE requests DROP COLUMN victims_identified;
ALTER TABLE requests DROP COLUMN related_request_id;
CREATE INDEX requests_stats ON requests (
    target_country, sent_at, status, status_since, first_response_at, closed_at,
    abandonment_reason, refusal_ground, legal_basis, channel, offences
);
