use strata::Model;

#[derive(Model)]
#[strata(index(name = "posts_feed_idx", unique))]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub published: bool,
}

fn main() {}
