-- strata:no-transaction
-- dialect: postgres
-- A UNIQUE constraint over an index built concurrently.
SET lock_timeout = '2s';
CREATE UNIQUE INDEX CONCURRENTLY "posts_author_id_title_key" ON "posts" ("author_id", "title");
ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_title_key" UNIQUE USING INDEX "posts_author_id_title_key";
