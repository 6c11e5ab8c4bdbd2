use schema_examples::blog::{Post, User};

fn main() {
    // `Post::comments()` is a relation of Post, not of User.
    let _ = User::find_many().include(Post::comments());
}
