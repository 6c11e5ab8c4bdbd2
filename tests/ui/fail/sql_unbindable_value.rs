use schema_examples::blog::User;

fn main() {
    let ids = vec![1_i64, 2];
    let _ = strata::sql!("SELECT {User::id} FROM {User} WHERE {User::credits} IN {ids}");
}
