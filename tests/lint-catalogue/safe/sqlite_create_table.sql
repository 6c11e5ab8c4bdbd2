-- dialect: sqlite
-- A new table with its key, foreign keys and indexes.
CREATE TABLE "bookmarks" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "user_id" TEXT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
  "note" TEXT NOT NULL
);
CREATE INDEX "bookmarks_user_id_idx" ON "bookmarks" ("user_id");
