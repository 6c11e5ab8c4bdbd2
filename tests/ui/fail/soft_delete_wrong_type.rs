use chrono::{DateTime, NaiveDate, Utc};
use strata::Model;

#[derive(Model)]
#[strata(soft_delete = deleted)]
pub struct Flagged {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub deleted: bool,
}

#[derive(Model)]
#[strata(soft_delete = deleted_at)]
pub struct Required {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub deleted_at: DateTime<Utc>,
}

#[derive(Model)]
#[strata(soft_delete = deleted_on)]
pub struct DateOnly {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub deleted_on: Option<NaiveDate>,
}

fn main() {}
