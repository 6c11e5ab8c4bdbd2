use strata::Model;

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub name: String,
    #[strata(column = "name")]
    pub display_name: String,
}

fn main() {}
