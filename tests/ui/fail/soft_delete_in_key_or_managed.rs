use chrono::{DateTime, Utc};
use strata::Model;

#[derive(Model)]
#[strata(soft_delete = deleted_at)]
pub struct UniqueTime {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(unique)]
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Model)]
#[strata(soft_delete = deleted_at, unique(fields(email, deleted_at)))]
pub struct InCompositeKey {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub email: String,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Model)]
#[strata(soft_delete = deleted_at)]
pub struct BornDeleted {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(default = now)]
    pub deleted_at: Option<DateTime<Utc>>,
}

fn main() {}
