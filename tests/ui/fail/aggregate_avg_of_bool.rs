use strata::dsl::*;
use strata::Model;

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub published: bool,
}

fn main() {
    let _ = Post::group_by(Post::id()).aggregate((count_all(), avg(Post::published())));
}
