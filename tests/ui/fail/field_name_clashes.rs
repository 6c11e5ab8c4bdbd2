use strata::Model;

#[derive(Model)]
pub struct Stats {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub count: i64,
}

fn main() {}
