-- dialect: sqlite
-- expect: sqlite-table-rebuild
-- The rebuild the other way round: rename away, create, copy, drop the old.
ALTER TABLE "tags" RENAME TO "tags_old";
CREATE TABLE "tags" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL UNIQUE CHECK (length("name") > 0));
INSERT INTO "tags" ("id", "name") SELECT "id", "name" FROM "tags_old";
DROP TABLE "tags_old";
