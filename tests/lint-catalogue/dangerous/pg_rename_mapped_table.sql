-- dialect: postgres
-- expect: mapped-table-removed
-- Renames the table of the Comment model.
SET lock_timeout = '2s';
ALTER TABLE comments RENAME TO post_comments;
