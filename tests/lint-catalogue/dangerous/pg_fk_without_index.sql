-- strata:no-transaction
-- dialect: postgres
-- expect: fk-without-index
-- The safe NOT VALID form, but comments.author_id has no index.
SET lock_timeout = '2s';
ALTER TABLE comments ADD CONSTRAINT comments_author_fk FOREIGN KEY (author_id) REFERENCES users (id) NOT VALID;
ALTER TABLE comments VALIDATE CONSTRAINT comments_author_fk;
