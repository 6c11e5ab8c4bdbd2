use strata::dsl::*;
use strata::Model;

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub title: String,
}

fn main() {
    let _ = Post::aggregate(sum(Post::title()));
}
