//! The hand-written side's rows (`#[derive(sqlx::FromRow)]`, decoded by column
//! name) and [`Fields`], what both sides' rows are compared as.

use chrono::{DateTime, Utc};
use schema_examples::blog::{Post, PostStatus};
use uuid::Uuid;

#[derive(sqlx::Type, Debug, Clone, Copy, PartialEq, Eq)]
#[sqlx(type_name = "post_status", rename_all = "UPPERCASE")]
pub enum Status {
    Draft,
    Published,
    Archived,
}

#[derive(sqlx::FromRow, Debug)]
pub struct PgPost {
    pub id: Uuid,
    pub title: String,
    pub content: Option<String>,
    pub published: bool,
    pub status: Status,
    pub views: i64,
    pub rating: Option<f64>,
    pub metadata: Option<serde_json::Value>,
    pub author_id: String,
    pub category_id: Option<i32>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// SQLite stores uuids as hyphenated text (strata's mapping).
#[derive(sqlx::FromRow, Debug)]
pub struct SqlitePost {
    pub id: uuid::fmt::Hyphenated,
    pub title: String,
    pub content: Option<String>,
    pub published: bool,
    pub status: Status,
    pub views: i64,
    pub rating: Option<f64>,
    pub metadata: Option<serde_json::Value>,
    pub author_id: String,
    pub category_id: Option<i32>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A `PgPost`/`SqlitePost` decoded by column position, as strata decodes.
macro_rules! by_position {
    ($row:expr, $ty:ident) => {{
        use sqlx::Row as _;
        let r = &$row;
        Ok($ty {
            id: r.try_get(0)?,
            title: r.try_get(1)?,
            content: r.try_get(2)?,
            published: r.try_get(3)?,
            status: r.try_get(4)?,
            views: r.try_get(5)?,
            rating: r.try_get(6)?,
            metadata: r.try_get(7)?,
            author_id: r.try_get(8)?,
            category_id: r.try_get(9)?,
            published_at: r.try_get(10)?,
            created_at: r.try_get(11)?,
        })
    }};
}

impl PgPost {
    pub fn by_position(row: sqlx::postgres::PgRow) -> Result<PgPost, sqlx::Error> {
        by_position!(row, PgPost)
    }
}

impl SqlitePost {
    pub fn by_position(row: sqlx::sqlite::SqliteRow) -> Result<SqlitePost, sqlx::Error> {
        by_position!(row, SqlitePost)
    }
}

/// The fields both sides read, to check they read the same rows.
#[derive(Debug, PartialEq)]
pub struct Fields {
    id: Uuid,
    title: String,
    content: Option<String>,
    published: bool,
    status: &'static str,
    views: i64,
    rating: Option<f64>,
    metadata: Option<serde_json::Value>,
    author_id: String,
    category_id: Option<i32>,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Draft => "Draft",
        Status::Published => "Published",
        Status::Archived => "Archived",
    }
}

impl From<&Post> for Fields {
    fn from(p: &Post) -> Fields {
        Fields {
            id: p.id,
            title: p.title.clone(),
            content: p.content.clone(),
            published: p.published,
            status: match p.status {
                PostStatus::Draft => "Draft",
                PostStatus::Published => "Published",
                PostStatus::Archived => "Archived",
            },
            views: p.views,
            rating: p.rating,
            metadata: p.metadata.clone(),
            author_id: p.author_id.clone(),
            category_id: p.category_id,
            published_at: p.published_at,
            created_at: p.created_at,
        }
    }
}

macro_rules! fields_from_sqlx {
    ($ty:ty, |$id:ident| $to_uuid:expr) => {
        impl From<&$ty> for Fields {
            fn from(p: &$ty) -> Fields {
                let $id = p.id;
                Fields {
                    id: $to_uuid,
                    title: p.title.clone(),
                    content: p.content.clone(),
                    published: p.published,
                    status: status_name(p.status),
                    views: p.views,
                    rating: p.rating,
                    metadata: p.metadata.clone(),
                    author_id: p.author_id.clone(),
                    category_id: p.category_id,
                    published_at: p.published_at,
                    created_at: p.created_at,
                }
            }
        }
    };
}
fields_from_sqlx!(PgPost, |id| id);
fields_from_sqlx!(SqlitePost, |id| id.into_uuid());
