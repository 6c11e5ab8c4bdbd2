use strata::Model;

#[derive(Model)]
pub struct Item {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(version)]
    pub version: i64,
    #[strata(version)]
    pub revision: i64,
}

fn main() {}
