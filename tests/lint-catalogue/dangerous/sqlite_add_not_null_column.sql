-- dialect: sqlite
-- expect: not-null-without-default
-- SQLite refuses a NOT NULL column without a default.
ALTER TABLE "posts" ADD COLUMN "slug" TEXT NOT NULL;
