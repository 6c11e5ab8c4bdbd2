-- dialect: mysql
-- expect: mysql-online-index
-- CREATE INDEX without ALGORITHM=INPLACE LOCK=NONE.
CREATE INDEX posts_category_published ON posts (category_id, published);
