-- The index of the cases with victims also carries how many: the country
-- table's attribution of victims reads them from it instead of fetching
-- each case's row (0.3 s of its 1.6 s at 1,000,000 requests on SQLite).
-- No row changes.
DROP INDEX cases_with_victims;
CREATE INDEX cases_with_victims ON cases (id, victims_identified) WHERE victims_identified > 0;
