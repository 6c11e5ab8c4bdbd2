use strata::dsl::*;
use strata::Model;

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub email: String,
}

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub author_id: i64,
    pub views: i32,
}

fn main() {
    let _ = Post::group_by((Post::author_id(), User::email())).aggregate(sum(Post::views()));
    let _ = Post::group_by(Post::author_id())
        .aggregate(count_all())
        .order_by(User::email().asc());
}
