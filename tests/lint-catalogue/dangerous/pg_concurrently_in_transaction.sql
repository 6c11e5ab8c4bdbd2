-- dialect: postgres
-- expect: concurrently-in-transaction
-- CONCURRENTLY in a migration that runs in a transaction: PostgreSQL refuses it.
SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY posts_category_id_idx ON posts (category_id);
