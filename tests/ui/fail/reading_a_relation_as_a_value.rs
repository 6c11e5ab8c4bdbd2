use schema_examples::blog::User;

fn posts_of(user: &User) -> usize {
    // A relation is not a Vec: whether it was loaded is part of its type.
    user.posts.len()
}

fn main() {}
