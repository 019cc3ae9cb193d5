DROP INDEX cases_with_victims;
CREATE INDEX cases_with_victims ON cases (id) WHERE victims_identified > 0;
