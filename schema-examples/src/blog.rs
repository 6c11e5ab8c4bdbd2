//! The blog schema from the seed's Prisma example (`seed/database-patterns.md`
//! §2.1): users with profiles, posts with categories and tags, comments, and the
//! `Role` and `PostStatus` enums. Each model uses a different key strategy, so the
//! schema exercises all of them: cuid, uuid, autoincrement, composite.
//!
//! It also declares every kind of relation: `belongs_to` with a required and
//! a nullable foreign key, `has_one`, `has_many`, `many_to_many` through a
//! join model (`PostTag`) and through a generated join table (`_follows`),
//! and self-relations (`User.manager`/`User.reports`, `Category.parent`/
//! `Category.children`).

use chrono::{DateTime, Utc};
use strata::{BelongsTo, Enum, HasMany, HasOne, Json, ManyToMany, Model};
use uuid::Uuid;

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[strata(name = "role")]
pub enum Role {
    #[strata(rename = "USER")]
    User,
    #[strata(rename = "ADMIN")]
    Admin,
    #[strata(rename = "MODERATOR")]
    Moderator,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[strata(name = "post_status")]
pub enum PostStatus {
    #[strata(rename = "DRAFT")]
    Draft,
    #[strata(rename = "PUBLISHED")]
    Published,
    #[strata(rename = "ARCHIVED")]
    Archived,
}

/// Emails are unique ignoring case where the database has expression indexes
/// (MariaDB has none, so the index is scoped to PostgreSQL and SQLite).
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "users")]
#[strata(index(
    expression = "lower(email)",
    name = "users_email_lower_key",
    unique,
    dialects(postgres, sqlite)
))]
pub struct User {
    #[strata(id, default = cuid)]
    pub id: String,
    #[strata(unique)]
    pub email: String,
    pub name: Option<String>,
    #[strata(default = "USER")]
    pub role: Role,
    #[strata(default = 0)]
    pub credits: i32,
    #[strata(default = now, column = "created_at", index)]
    pub created_at: DateTime<Utc>,
    #[strata(updated_at, column = "updated_at")]
    pub updated_at: DateTime<Utc>,
    pub manager_id: Option<String>,
    #[strata(has_many)]
    pub posts: HasMany<Post>,
    #[strata(has_one)]
    pub profile: HasOne<Profile>,
    #[strata(has_many)]
    pub comments: HasMany<Comment>,
    /// A self-relation: the user's manager, if any, and the users reporting to them.
    #[strata(belongs_to(fields(manager_id), references(id)), on_delete = set_null)]
    pub manager: BelongsTo<Option<User>>,
    #[strata(has_many)]
    pub reports: HasMany<User>,
    /// A self-relation through the generated join table `_follows`: column `A`
    /// holds the followed user (the `followers` side sorts first), `B` the follower.
    #[strata(many_to_many(name = "follows"))]
    pub followers: ManyToMany<User>,
    #[strata(many_to_many(name = "follows"))]
    pub following: ManyToMany<User>,
}

/// Free-form profile settings, stored as JSON and read back typed.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProfileSettings {
    pub theme: String,
    pub newsletter: bool,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "profiles")]
pub struct Profile {
    #[strata(id, default = cuid)]
    pub id: String,
    pub bio: Option<String>,
    pub avatar: Option<Vec<u8>>,
    pub settings: Json<ProfileSettings>,
    #[strata(unique)]
    pub user_id: String,
    #[strata(belongs_to(fields(user_id), references(id)), on_delete = cascade)]
    pub user: BelongsTo<User>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "categories")]
pub struct Category {
    #[strata(id, default = autoincrement)]
    pub id: i32,
    #[strata(unique)]
    pub name: String,
    pub parent_id: Option<i32>,
    #[strata(belongs_to(fields(parent_id), references(id)), on_delete = set_null)]
    pub parent: BelongsTo<Option<Category>>,
    #[strata(has_many)]
    pub children: HasMany<Category>,
    #[strata(has_many)]
    pub posts: HasMany<Post>,
}

/// Indexed for the feed (newest published first, a partial index where the
/// database has them), and on `metadata` with GIN for jsonb containment
/// queries on PostgreSQL.
// Clippy's duplicated_attributes lint takes `published_at(desc)` in both
// indexes for one option written twice (see README, "Model attributes").
#[allow(clippy::duplicated_attributes)]
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "posts")]
#[strata(index(fields(published, published_at(desc))))]
#[strata(index(
    fields(published_at(desc)),
    name = "posts_feed_idx",
    where = "published",
    dialects(postgres, sqlite)
))]
#[strata(index(fields(metadata), using = gin, dialects(postgres)))]
pub struct Post {
    #[strata(id, default = uuid)]
    pub id: Uuid,
    #[strata(db_type = "varchar(255)")]
    pub title: String,
    pub content: Option<String>,
    #[strata(default = false)]
    pub published: bool,
    #[strata(default = "DRAFT")]
    pub status: PostStatus,
    #[strata(default = 0, check = "views >= 0")]
    pub views: i64,
    pub rating: Option<f64>,
    pub metadata: Option<serde_json::Value>,
    #[strata(column = "author_id", index)]
    pub author_id: String,
    #[strata(column = "category_id")]
    pub category_id: Option<i32>,
    #[strata(column = "published_at")]
    pub published_at: Option<DateTime<Utc>>,
    #[strata(default = now, column = "created_at")]
    pub created_at: DateTime<Utc>,
    #[strata(belongs_to(fields(author_id), references(id)), on_delete = cascade)]
    pub author: BelongsTo<User>,
    #[strata(belongs_to(fields(category_id), references(id)), on_delete = set_null)]
    pub category: BelongsTo<Option<Category>>,
    #[strata(has_many)]
    pub comments: HasMany<Comment>,
    #[strata(many_to_many(through = PostTag))]
    pub tags: ManyToMany<Tag>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "comments")]
pub struct Comment {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub body: String,
    #[strata(index)]
    pub post_id: Uuid,
    pub author_id: String,
    #[strata(default = now)]
    pub created_at: DateTime<Utc>,
    #[strata(belongs_to(fields(post_id), references(id)), on_delete = cascade)]
    pub post: BelongsTo<Post>,
    #[strata(belongs_to(fields(author_id), references(id)), on_delete = cascade)]
    pub author: BelongsTo<User>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "tags")]
pub struct Tag {
    #[strata(id, default = autoincrement)]
    pub id: i32,
    #[strata(unique)]
    pub name: String,
    #[strata(many_to_many(through = PostTag))]
    pub posts: ManyToMany<Post>,
}

/// The posts <-> tags join model: a composite primary key, and a `belongs_to`
/// to each side, which `Post.tags` and `Tag.posts` go through.
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "post_tags", id(fields(post_id, tag_id)))]
pub struct PostTag {
    pub post_id: Uuid,
    #[strata(index)]
    pub tag_id: i32,
    #[strata(belongs_to(fields(post_id), references(id)), on_delete = cascade)]
    pub post: BelongsTo<Post>,
    #[strata(belongs_to(fields(tag_id), references(id)), on_delete = cascade)]
    pub tag: BelongsTo<Tag>,
}

/// Every blog model, in an order `push_schema` accepts (it sorts by foreign keys).
pub type BlogSchema = (User, Profile, Category, Post, Comment, Tag, PostTag);
