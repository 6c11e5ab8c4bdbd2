fn main() {
    let _ = strata::sql!("SELECT {User::email FROM users");
    let _ = strata::sql!("SELECT {} FROM users");
    let _ = strata::sql!("SELECT 1 }");
    let _ = strata::sql!("SELECT {User::email:raw}");
}
