-- dialect: postgres
-- expect: constraint-missing-not-valid
-- NOT VALID then VALIDATE inside one transaction holds the ADD's lock through the scan.
SET lock_timeout = '2s';
ALTER TABLE posts ADD CONSTRAINT posts_views_non_negative CHECK (views >= 0) NOT VALID;
ALTER TABLE posts VALIDATE CONSTRAINT posts_views_non_negative;
