-- dialect: postgres
-- expect: adding-foreign-key-constraint
-- A validated foreign key scans posts under a lock that blocks writes on both tables.
SET lock_timeout = '2s';
ALTER TABLE posts ADD CONSTRAINT posts_author_id_fkey2 FOREIGN KEY (author_id) REFERENCES users (id);
