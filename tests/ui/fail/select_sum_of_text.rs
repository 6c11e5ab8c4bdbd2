use schema_examples::blog::Post;
use strata::dsl::*;

fn main() {
    let _ = strata::select(sum(Post::title())).from::<Post>();
}
