-- strata:no-transaction
-- dialect: postgres
-- A concurrent index build in a no-transaction migration.
SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY "posts_category_id_idx" ON "posts" ("category_id");
