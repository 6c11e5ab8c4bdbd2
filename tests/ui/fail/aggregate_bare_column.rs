use strata::dsl::*;
use strata::Model;

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub author_id: i64,
    pub title: String,
    pub views: i32,
}

fn main() {
    // Over many rows a column has no single value: aggregate it or group by it.
    let _ = Post::aggregate((count_all(), Post::title()));
    let _ = Post::group_by(Post::author_id()).aggregate((sum(Post::views()), Post::title()));
}
