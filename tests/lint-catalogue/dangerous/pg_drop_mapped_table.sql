-- dialect: postgres
-- expect: mapped-table-removed
-- Drops the table of the Tag model.
SET lock_timeout = '2s';
DROP TABLE tags;
