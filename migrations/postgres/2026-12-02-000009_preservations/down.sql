DROP TABLE preservation_renewals;
DROP FUNCTION preservation_renewals_append_only();
DROP TABLE preservations;
