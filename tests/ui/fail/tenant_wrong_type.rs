use chrono::{DateTime, Utc};
use strata::{Enum, Model};

#[derive(Model)]
#[strata(tenant = tenant_id)]
pub struct Nullable {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub tenant_id: Option<i64>,
}

#[derive(Model)]
#[strata(tenant = tenant_id)]
pub struct Float {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub tenant_id: f64,
}

#[derive(Model)]
#[strata(tenant = created)]
pub struct Time {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub created: DateTime<Utc>,
}

#[derive(Enum, Clone, Copy)]
pub enum Region {
    Eu,
    Us,
}

#[derive(Model)]
#[strata(tenant = region)]
pub struct ByEnum {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub region: Region,
}

fn main() {}
