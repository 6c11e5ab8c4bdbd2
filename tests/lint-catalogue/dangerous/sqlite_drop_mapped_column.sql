-- dialect: sqlite
-- expect: mapped-column-removed
-- Drops a column the Post model still maps; SQLite also rewrites the table.
ALTER TABLE "posts" DROP COLUMN "content";
