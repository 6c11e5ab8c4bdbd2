-- dialect: mysql
-- A nullable column added in place, stated so.
ALTER TABLE `posts` ADD COLUMN `subtitle` VARCHAR(255) NULL, ALGORITHM=INSTANT;
