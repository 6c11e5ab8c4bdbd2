//! The blog schema from the seed's Prisma example (`seed/database-patterns.md`
//! §2.1): users with profiles, posts with categories and tags, comments, and the
//! `Role` and `PostStatus` enums. Each model uses a different key strategy, so the
//! schema exercises all of them: cuid, uuid, autoincrement, composite.

use chrono::{DateTime, Utc};
use strata::{Enum, Json, Model};
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

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "users")]
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
    #[strata(unique, references(model = User, field = id), on_delete = cascade)]
    pub user_id: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "categories")]
pub struct Category {
    #[strata(id, default = autoincrement)]
    pub id: i32,
    #[strata(unique)]
    pub name: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "posts")]
#[strata(index(fields(published, published_at)))]
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
    #[strata(default = 0)]
    pub views: i64,
    pub rating: Option<f64>,
    pub metadata: Option<serde_json::Value>,
    #[strata(column = "author_id", references(model = User, field = id), on_delete = cascade, index)]
    pub author_id: String,
    #[strata(column = "category_id", references(model = Category, field = id), on_delete = set_null)]
    pub category_id: Option<i32>,
    #[strata(column = "published_at")]
    pub published_at: Option<DateTime<Utc>>,
    #[strata(default = now, column = "created_at")]
    pub created_at: DateTime<Utc>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "comments")]
pub struct Comment {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub body: String,
    #[strata(references(model = Post, field = id), on_delete = cascade, index)]
    pub post_id: Uuid,
    #[strata(references(model = User, field = id), on_delete = cascade)]
    pub author_id: String,
    #[strata(default = now)]
    pub created_at: DateTime<Utc>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "tags")]
pub struct Tag {
    #[strata(id, default = autoincrement)]
    pub id: i32,
    #[strata(unique)]
    pub name: String,
}

/// The posts <-> tags join table: a composite primary key.
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "post_tags", id(fields(post_id, tag_id)))]
pub struct PostTag {
    #[strata(references(model = Post, field = id), on_delete = cascade)]
    pub post_id: Uuid,
    #[strata(references(model = Tag, field = id), on_delete = cascade, index)]
    pub tag_id: i32,
}

/// Every blog model, in an order `push_schema` accepts (it sorts by foreign keys).
pub type BlogSchema = (User, Profile, Category, Post, Comment, Tag, PostTag);
