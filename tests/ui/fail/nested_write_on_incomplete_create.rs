use schema_examples::blog::{Post, User};
use strata::{Db, WithNested};

// `.with(..)` needs a complete create: `email` is required and unset.
async fn create(db: &Db, post: &Post) -> strata::Result<User> {
    User::create()
        .name("Ann")
        .with(User::posts().connect(Post::by_id(post.id)))
        .exec(db)
        .await
}

fn main() {
    let _ = create;
}
