-- dialect: postgres
-- expect: require-enum-value-ordering
-- A value the PostStatus enum does not declare last (or at all), appended at the end.
SET lock_timeout = '2s';
ALTER TYPE post_status ADD VALUE 'REVIEW';
