-- dialect: mysql
-- expect: mapped-column-removed
-- Drops a column the User model still maps.
ALTER TABLE users DROP COLUMN name, ALGORITHM=INPLACE, LOCK=NONE;
