use strata::Model;

#[derive(Model)]
#[strata(tenant(tenant_id))]
pub struct ListForm {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub tenant_id: i64,
}

#[derive(Model)]
#[strata(tenant = "tenant id")]
pub struct NotAnIdent {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub tenant_id: i64,
}

#[derive(Model)]
#[strata(row_level_security)]
pub struct PolicyWithoutTenant {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub tenant_id: i64,
}

fn main() {}
