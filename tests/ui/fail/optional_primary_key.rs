use strata::Model;

#[derive(Model)]
pub struct User {
    #[strata(id)]
    pub id: Option<i64>,
}

fn main() {}
