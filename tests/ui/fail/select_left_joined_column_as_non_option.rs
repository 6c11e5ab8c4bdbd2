use schema_examples::blog::{Post, User};
use strata::dsl::*;

async fn run(db: &strata::Db) {
    // Post is left-joined: its title reads as Option<String>.
    let _rows: Vec<(String, String)> = strata::select((User::email(), Post::title()))
        .from::<User>()
        .left_join::<Post>(eq(Post::author_id(), User::id()))
        .fetch_all(db)
        .await
        .unwrap();
}

fn main() {
    let _ = run;
}
