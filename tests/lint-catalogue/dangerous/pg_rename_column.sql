-- dialect: postgres
-- expect: rename-in-one-step
-- The model already maps the new name; the running release still reads the old one.
SET lock_timeout = '2s';
ALTER TABLE users RENAME COLUMN full_name TO name;
