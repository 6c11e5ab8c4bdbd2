use strata::Model;

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: String,
}

fn main() {}
