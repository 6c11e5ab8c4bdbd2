use schema_examples::blog::{Post, User};
use strata::{Db, WithNested};

// `Post.author` is `BelongsTo<User>`: its foreign key is required, so there
// is no `disconnect` (nor `delete`) to clear it; `BelongsTo<Option<_>>` has them.
async fn orphan(db: &Db, post: &Post) -> strata::Result<Post> {
    Post::update(Post::by_id(post.id))
        .with(Post::author().disconnect())
        .exec(db)
        .await
}

fn main() {
    let _ = orphan;
    let _ = User::find_many();
}
