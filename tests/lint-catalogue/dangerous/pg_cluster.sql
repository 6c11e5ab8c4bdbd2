-- strata:no-transaction
-- dialect: postgres
-- expect: table-rewrite-lock
-- CLUSTER rewrites the table under ACCESS EXCLUSIVE.
SET lock_timeout = '2s';
CLUSTER posts USING posts_author_id_idx;
