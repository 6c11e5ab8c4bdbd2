use strata::Model;

#[derive(Model)]
#[strata(index(fields(metadata), using = gni))]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub metadata: serde_json::Value,
}

fn main() {}
