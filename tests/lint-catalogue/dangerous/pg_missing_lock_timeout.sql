-- dialect: postgres
-- expect: require-lock-timeout
-- An ALTER that may queue behind a long transaction, with every query queued behind it.
ALTER TABLE posts ADD COLUMN subtitle text;
