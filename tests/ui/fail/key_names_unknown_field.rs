use strata::Model;

#[derive(Model)]
#[strata(unique(fields(first_name, lastname)))]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
}

fn main() {}
