-- dialect: sqlite
-- expect: sqlite-table-rebuild
-- The create-copy-drop-rename rebuild holds the database write lock for the copy.
CREATE TABLE "new_tags" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL UNIQUE CHECK (length("name") > 0));
INSERT INTO "new_tags" ("id", "name") SELECT "id", "name" FROM "tags";
DROP TABLE "tags";
ALTER TABLE "new_tags" RENAME TO "tags";
