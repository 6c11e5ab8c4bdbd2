-- dialect: sqlite
-- expect: table-rewrite-lock
-- VACUUM copies the whole database under its write lock.
VACUUM;
