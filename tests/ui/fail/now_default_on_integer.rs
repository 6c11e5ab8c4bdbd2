use strata::Model;

#[derive(Model)]
pub struct Event {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(default = now)]
    pub happened_at: i64,
}

fn main() {}
