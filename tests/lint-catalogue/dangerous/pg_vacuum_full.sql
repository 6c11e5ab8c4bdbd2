-- strata:no-transaction
-- dialect: postgres
-- expect: table-rewrite-lock
-- VACUUM FULL rewrites the table under ACCESS EXCLUSIVE.
SET lock_timeout = '2s';
VACUUM FULL posts;
