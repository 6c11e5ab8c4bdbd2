use schema_examples::blog::Post;
use strata::dsl::*;

fn main() {
    let _ = strata::select(avg(Post::published())).from::<Post>();
}
