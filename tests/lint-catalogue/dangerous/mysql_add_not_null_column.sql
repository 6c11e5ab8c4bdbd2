-- dialect: mysql
-- expect: not-null-without-default
-- Old code inserting users without nickname fails in strict mode.
ALTER TABLE users ADD COLUMN nickname VARCHAR(64) NOT NULL, ALGORITHM=INSTANT;
