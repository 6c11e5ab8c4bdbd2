-- dialect: mysql
-- expect: mapped-column-removed
-- CHANGE renames a column the Post model still maps.
ALTER TABLE posts CHANGE COLUMN title headline VARCHAR(255) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;
