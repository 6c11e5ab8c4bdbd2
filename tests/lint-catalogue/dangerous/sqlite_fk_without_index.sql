-- dialect: sqlite
-- expect: fk-without-index
-- A new foreign-key column without an index.
ALTER TABLE "comments" ADD COLUMN "editor_id" TEXT REFERENCES "users" ("id");
