use strata::{BelongsTo, Model};

#[derive(Model)]
#[strata(tenant = org_id)]
pub struct Doc {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub tenant_id: i64,
}

#[derive(Model)]
pub struct Org {
    #[strata(id, default = autoincrement)]
    pub id: i64,
}

#[derive(Model)]
#[strata(tenant = org, row_level_security)]
pub struct Page {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub org_id: i64,
    #[strata(belongs_to(fields(org_id), references(id)))]
    pub org: BelongsTo<Org>,
}

fn main() {}
