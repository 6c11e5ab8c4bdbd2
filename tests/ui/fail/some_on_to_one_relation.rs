use schema_examples::blog::{Post, User};

fn main() {
    // `some`/`every`/`none` are for to-many relations; a post has one author.
    let _ = Post::find_many().filter(Post::author().some(User::email().eq("a@b.c")));
}
