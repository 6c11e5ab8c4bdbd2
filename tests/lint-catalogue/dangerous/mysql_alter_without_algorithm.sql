-- dialect: mysql
-- expect: mysql-online-alter
-- No ALGORITHM/LOCK: MySQL may copy the table under a write lock.
ALTER TABLE posts ADD COLUMN subtitle VARCHAR(255) NULL;
