-- dialect: postgres
-- expect: adding-not-nullable-field
-- SET NOT NULL scans the table under ACCESS EXCLUSIVE.
SET lock_timeout = '2s';
ALTER TABLE posts ALTER COLUMN content SET NOT NULL;
