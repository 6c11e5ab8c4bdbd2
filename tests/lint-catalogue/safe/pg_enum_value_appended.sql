-- dialect: postgres
-- A value the Role enum declares last, appended where the model has it.
SET lock_timeout = '2s';
ALTER TYPE "role" ADD VALUE IF NOT EXISTS 'MODERATOR';
