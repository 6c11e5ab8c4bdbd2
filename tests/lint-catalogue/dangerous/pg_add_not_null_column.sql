-- dialect: postgres
-- expect: not-null-without-default
-- A required column on a populated table: PostgreSQL refuses it, and old code inserts without it.
SET lock_timeout = '2s';
ALTER TABLE posts ADD COLUMN slug text NOT NULL;
