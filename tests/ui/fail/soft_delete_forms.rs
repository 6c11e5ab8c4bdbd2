use chrono::{DateTime, Utc};
use strata::Model;

#[derive(Model)]
#[strata(soft_delete(deleted_at))]
pub struct ListForm {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Model)]
#[strata(soft_delete = "deleted at")]
pub struct NotAnIdent {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Model)]
#[strata(partial_uniques)]
pub struct NoSoftDelete {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(unique)]
    pub email: String,
}

fn main() {}
