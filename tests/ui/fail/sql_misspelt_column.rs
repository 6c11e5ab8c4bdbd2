use schema_examples::blog::User;

fn main() {
    let _ = strata::sql!("SELECT {User::emial} FROM {User}");
}
