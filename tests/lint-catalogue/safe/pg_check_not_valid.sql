-- strata:no-transaction
-- dialect: postgres
-- A CHECK added NOT VALID, validated in its own transaction.
SET lock_timeout = '2s';
ALTER TABLE "posts" ADD CONSTRAINT "posts_views_non_negative" CHECK ("views" >= 0) NOT VALID;
ALTER TABLE "posts" VALIDATE CONSTRAINT "posts_views_non_negative";
