use schema_examples::blog::{Post, User};

async fn run(db: &strata::Db) {
    let _ = strata::select((User::email(), Post::title()))
        .from::<User>()
        .fetch_all(db)
        .await;
}

fn main() {
    let _ = run;
}
