-- dialect: postgres
-- expect: require-concurrent-index-creation
-- A plain index build blocks writes to posts for the whole build.
SET lock_timeout = '2s';
CREATE INDEX posts_category_id_idx ON posts (category_id);
