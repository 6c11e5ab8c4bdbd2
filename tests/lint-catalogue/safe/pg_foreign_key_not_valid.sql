-- strata:no-transaction
-- dialect: postgres
-- A new foreign-key column: index it concurrently, add the key NOT VALID, then VALIDATE (each statement commits on its own).
SET lock_timeout = '2s';
ALTER TABLE "posts" ADD COLUMN "editor_id" text;
CREATE INDEX CONCURRENTLY "posts_editor_id_idx" ON "posts" ("editor_id");
ALTER TABLE "posts" ADD CONSTRAINT "posts_editor_id_fkey" FOREIGN KEY ("editor_id") REFERENCES "users" ("id") ON DELETE SET NULL NOT VALID;
ALTER TABLE "posts" VALIDATE CONSTRAINT "posts_editor_id_fkey";
