// Drizzle's schema of diesel_bench's three tables, matching the DDL in
// bench/peers/benches/peers/fixture.rs column for column (property names are
// the column names, as in prisma/schema.prisma, so every library's rows have
// the same shape). The relations are what the relational query API
// (`db.query.users.findMany({ with: ... })`) needs.

import { relations } from 'drizzle-orm';
import { integer, pgTable, serial, text, varchar } from 'drizzle-orm/pg-core';

export const users = pgTable('users', {
  id: serial('id').primaryKey(),
  name: varchar('name').notNull(),
  hair_color: varchar('hair_color'),
});

export const posts = pgTable('posts', {
  id: serial('id').primaryKey(),
  user_id: integer('user_id')
    .notNull()
    .references(() => users.id),
  title: varchar('title').notNull(),
  body: text('body'),
});

export const comments = pgTable('comments', {
  id: serial('id').primaryKey(),
  post_id: integer('post_id')
    .notNull()
    .references(() => posts.id),
  text: text('text').notNull(),
});

export const usersRelations = relations(users, ({ many }) => ({
  posts: many(posts),
}));

export const postsRelations = relations(posts, ({ one, many }) => ({
  user: one(users, { fields: [posts.user_id], references: [users.id] }),
  comments: many(comments),
}));

export const commentsRelations = relations(comments, ({ one }) => ({
  post: one(posts, { fields: [comments.post_id], references: [posts.id] }),
}));
