-- strata:no-transaction
-- dialect: postgres
-- NOT NULL without a long lock: CHECK NOT VALID, VALIDATE, SET NOT NULL, drop the CHECK.
SET lock_timeout = '2s';
ALTER TABLE "posts" ADD CONSTRAINT "posts_content_not_null" CHECK ("content" IS NOT NULL) NOT VALID;
ALTER TABLE "posts" VALIDATE CONSTRAINT "posts_content_not_null";
ALTER TABLE "posts" ALTER COLUMN "content" SET NOT NULL;
ALTER TABLE "posts" DROP CONSTRAINT "posts_content_not_null";
