use strata::Model;

#[derive(Model)]
#[strata(table = "users", index(expression = "lower(email)", unique))]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub email: String,
}

fn main() {}
