-- dialect: postgres
-- expect: mapped-column-removed
-- Renames a column the Post model still maps.
SET lock_timeout = '2s';
ALTER TABLE posts RENAME COLUMN title TO headline;
