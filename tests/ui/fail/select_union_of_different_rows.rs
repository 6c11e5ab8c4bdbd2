use schema_examples::blog::{Post, User};

fn main() {
    let titles = strata::select((Post::title(), Post::views())).from::<Post>();
    let users = strata::select((User::email(), User::credits())).from::<User>();
    let _ = titles.union(users);
}
