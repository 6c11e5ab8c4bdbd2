//! Every index option and CHECK form in one model, as a user writes them; the
//! descriptor they produce is checked at compile time below.

use strata::{Dialect, Model};

#[derive(Model, Debug)]
#[strata(table = "posts")]
#[strata(index(
    fields(published, published_at(desc)),
    name = "posts_feed_idx",
    unique,
    include(title, views),
    where = "published",
    dialects(postgres)
))]
#[strata(index(
    expression = "lower(title)",
    name = "posts_title_lower_idx",
    unique,
    dialects(postgres, sqlite)
))]
#[strata(index(
    fields(author_id),
    expression = "lower(title)",
    name = "posts_author_title_idx"
))]
#[strata(index(fields(metadata), using = gin, dialects(postgres)))]
#[strata(index(fields(created_at), using = brin, dialects(postgres)))]
#[strata(index(fields(title), using = hash, dialects(postgres)))]
#[strata(index(fields(views(asc), created_at(desc)), using = btree))]
#[strata(check = "views < 1000000000")]
#[strata(check(
    name = "posts_dates_check",
    expr = "published_at IS NULL OR published_at >= created_at"
))]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub title: String,
    #[strata(index)]
    pub author_id: i64,
    #[strata(default = false)]
    pub published: bool,
    #[strata(default = 0, check = "views >= 0")]
    pub views: i64,
    pub metadata: Option<serde_json::Value>,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    #[strata(default = now)]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

const FEED: &strata::__private::IndexSchema = &<Post as Model>::SCHEMA.indexes[1];
const _: () = {
    assert!(FEED.unique && FEED.include.len() == 2 && FEED.predicate.is_some());
    assert!(matches!(FEED.dialects, [Dialect::Postgres]));
    assert!(<Post as Model>::SCHEMA.indexes.len() == 8);
    assert!(<Post as Model>::SCHEMA.checks.len() == 3);
};

fn main() {}
