-- dialect: postgres
-- expect: constraint-missing-not-valid
-- A CHECK added valid scans the table while blocking writes.
SET lock_timeout = '2s';
ALTER TABLE posts ADD CONSTRAINT posts_views_non_negative CHECK (views >= 0);
