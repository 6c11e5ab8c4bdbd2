-- dialect: postgres
-- Expand: a nullable column and one with a constant default (no rewrite on PostgreSQL 11+).
SET lock_timeout = '2s';
ALTER TABLE "posts" ADD COLUMN "subtitle" text;
ALTER TABLE "posts" ADD COLUMN "score" integer NOT NULL DEFAULT 0;
