-- dialect: mysql
-- A new table with its keys; nothing runs against it yet.
CREATE TABLE `bookmarks` (
  `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `note` TEXT NOT NULL,
  `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
);
ALTER TABLE `bookmarks` ADD COLUMN `rank` INT NOT NULL;
CREATE INDEX `bookmarks_created_at_idx` ON `bookmarks` (`created_at`);
