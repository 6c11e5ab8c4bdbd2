use strata::Model;

#[derive(Model)]
pub struct Item {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(version)]
    pub version: String,
}

#[derive(Model)]
pub struct Note {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(version)]
    pub version: Option<i64>,
}

fn main() {}
