use strata::Model;

#[derive(Model)]
pub struct User {
    pub email: String,
    pub name: String,
}

fn main() {}
