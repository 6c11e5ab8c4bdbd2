use chrono::{DateTime, Utc};
use strata::Model;

#[derive(Model)]
#[strata(soft_delete = removed_at)]
pub struct Doc {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

fn main() {}
