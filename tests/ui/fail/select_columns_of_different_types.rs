use schema_examples::blog::{Post, User};
use strata::dsl::*;

fn main() {
    // posts.views is an i64, users.credits an i32.
    let _ = strata::select(Post::title())
        .from::<Post>()
        .inner_join::<User>(eq(Post::views(), User::credits()));
}
