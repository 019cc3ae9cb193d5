DROP TABLE preservation_renewals;
DROP TABLE preservations;
