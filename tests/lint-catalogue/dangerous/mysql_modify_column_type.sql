-- dialect: mysql
-- expect: changing-column-type
-- MODIFY to a new type copies the table.
ALTER TABLE posts MODIFY COLUMN views INT NOT NULL DEFAULT 0;
