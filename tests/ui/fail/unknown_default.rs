use strata::Model;

#[derive(Model)]
pub struct Event {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(default = current_timestamp)]
    pub at: chrono::NaiveDateTime,
}

fn main() {}
