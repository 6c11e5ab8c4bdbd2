use strata::Model;

#[derive(Model)]
pub struct Counter {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(default = "zero")]
    pub value: i32,
}

fn main() {}
