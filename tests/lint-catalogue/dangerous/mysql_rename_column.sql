-- dialect: mysql
-- expect: rename-in-one-step
-- The model already maps the new name; the running release still reads the old one.
ALTER TABLE users RENAME COLUMN full_name TO name, ALGORITHM=INPLACE, LOCK=NONE;
