//! A soft-deleted schema (`#[strata(soft_delete = deleted_at)]`): authors
//! and their articles are both soft-deleted, an article's notes are not, so
//! every read path meets deleted rows at the top, in relations and in
//! includes. `Account` adds `partial_uniques`: its email is unique among
//! live accounts only (PostgreSQL and SQLite; refused on MySQL/MariaDB).

use chrono::{DateTime, NaiveDateTime, Utc};
use strata::{BelongsTo, HasMany, Model};

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "soft_authors", soft_delete = deleted_at)]
pub struct Author {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(unique)]
    pub email: String,
    pub name: String,
    pub deleted_at: Option<DateTime<Utc>>,
    #[strata(has_many)]
    pub articles: HasMany<Article>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "soft_articles", soft_delete = removed_at)]
pub struct Article {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub title: String,
    pub views: i64,
    pub author_id: i64,
    /// A wall-clock deletion time: `NaiveDateTime` works as well.
    pub removed_at: Option<NaiveDateTime>,
    #[strata(belongs_to(fields(author_id), references(id)))]
    pub author: BelongsTo<Author>,
    #[strata(has_many)]
    pub notes: HasMany<Note>,
}

/// Not soft-deleted: a plain model under a soft-deleted one.
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "soft_notes")]
pub struct Note {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub body: String,
    pub article_id: i64,
    #[strata(belongs_to(fields(article_id), references(id)))]
    pub article: BelongsTo<Article>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "soft_accounts", soft_delete = deleted_at, partial_uniques)]
pub struct Account {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(unique)]
    pub email: String,
    pub plan: String,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Every model here but `Account` (which MySQL/MariaDB refuses).
pub type SoftSchema = (Author, Article, Note);
