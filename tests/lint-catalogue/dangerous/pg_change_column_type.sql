-- dialect: postgres
-- expect: changing-column-type
-- A type change rewrites the table under ACCESS EXCLUSIVE.
SET lock_timeout = '2s';
ALTER TABLE posts ALTER COLUMN views TYPE integer;
