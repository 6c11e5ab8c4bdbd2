use chrono::{DateTime, Utc};
use strata::Model;

#[derive(Model)]
#[strata(tenant = tenant_id)]
pub struct Defaulted {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(default = 1)]
    pub tenant_id: i64,
}

#[derive(Model)]
#[strata(tenant = tenant_id)]
pub struct Versioned {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(version)]
    pub tenant_id: i64,
}

#[derive(Model)]
#[strata(tenant = deleted_at, soft_delete = deleted_at)]
pub struct SoftDeleted {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

fn main() {}
