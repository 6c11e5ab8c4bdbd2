use strata::Model;

#[derive(Model)]
pub struct Item {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(version, default(sql = "floor(random() * 10)"))]
    pub version: i64,
}

fn main() {}
