-- dialect: mysql
-- An index built online, stated so.
CREATE INDEX `posts_category_published_idx` ON `posts` (`category_id`, `published`) ALGORITHM=INPLACE LOCK=NONE;
ALTER TABLE `posts` ADD INDEX `posts_rating_idx` (`rating`), ALGORITHM=INPLACE, LOCK=NONE;
