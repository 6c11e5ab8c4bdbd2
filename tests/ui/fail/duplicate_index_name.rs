use strata::Model;

#[derive(Model)]
#[strata(table = "posts")]
#[strata(index(fields(published), name = "posts_feed_idx"))]
#[strata(index(fields(published_at(desc)), name = "posts_feed_idx"))]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub published: bool,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn main() {}
