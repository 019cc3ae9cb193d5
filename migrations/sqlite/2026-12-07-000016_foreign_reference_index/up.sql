-- The importer matches a spreadsheet's rows to the register by reference,
-- then by the requested state's own reference: one lookup per row, which
-- without this index reads the whole table. No row changes.
CREATE INDEX requests_foreign_reference ON requests (foreign_reference) WHERE foreign_reference IS NOT NULL;
