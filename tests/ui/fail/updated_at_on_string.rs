use strata::Model;

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(updated_at)]
    pub edited: String,
}

fn main() {}
