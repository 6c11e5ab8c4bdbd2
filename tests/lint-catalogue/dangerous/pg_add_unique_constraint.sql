-- dialect: postgres
-- expect: disallowed-unique-constraint
-- A UNIQUE constraint builds its index under ACCESS EXCLUSIVE.
SET lock_timeout = '2s';
ALTER TABLE posts ADD CONSTRAINT posts_title_key UNIQUE (title);
