-- dialect: sqlite
-- SQLite adds a nullable column in place.
ALTER TABLE "posts" ADD COLUMN "subtitle" TEXT;
ALTER TABLE "posts" ADD COLUMN "score" INTEGER NOT NULL DEFAULT 0;
