-- dialect: postgres
-- expect: adding-field-with-default
-- A volatile default rewrites every row under ACCESS EXCLUSIVE.
SET lock_timeout = '2s';
ALTER TABLE posts ADD COLUMN token uuid DEFAULT gen_random_uuid();
