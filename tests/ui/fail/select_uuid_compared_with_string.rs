use schema_examples::blog::Post;
use strata::dsl::*;

fn main() {
    let _ = strata::select(Post::title())
        .from::<Post>()
        .filter(eq(Post::id(), "3f2a-not-a-uuid"));
}
