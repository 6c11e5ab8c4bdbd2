-- dialect: postgres
-- The contract step, allowed once no deployed code reads the column.
SET lock_timeout = '2s';
ALTER TABLE "posts" ADD COLUMN "legacy_slug" text;
-- strata:allow(ban-drop-column)
ALTER TABLE "posts" DROP COLUMN "legacy_slug";
