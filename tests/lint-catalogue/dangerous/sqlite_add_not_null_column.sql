-- dialect: sqlite
-- expect: not-null-without-default
-- SQLite refuses a NOT NULL column without a default on a table with rows.
ALTER TABLE "posts" ADD COLUMN "slug" TEXT NOT NULL;
