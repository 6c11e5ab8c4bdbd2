-- dialect: postgres
-- expect: concurrently-in-transaction
-- A file of one statement, which strata still runs in a transaction, where PostgreSQL refuses it.
DROP INDEX CONCURRENTLY posts_author_id_idx;
