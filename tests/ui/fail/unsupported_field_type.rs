use strata::Model;

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub tags: std::collections::HashSet<String>,
}

fn main() {}
