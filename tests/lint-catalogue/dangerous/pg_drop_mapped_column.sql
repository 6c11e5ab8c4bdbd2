-- dialect: postgres
-- expect: mapped-column-removed
-- Drops a column the User model still maps.
SET lock_timeout = '2s';
ALTER TABLE users DROP COLUMN name;
