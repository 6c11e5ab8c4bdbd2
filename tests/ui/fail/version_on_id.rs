use strata::Model;

#[derive(Model)]
pub struct Item {
    #[strata(id, version)]
    pub id: i64,
    pub name: String,
}

#[derive(Model)]
#[strata(id(fields(sku, version)))]
pub struct Sku {
    pub sku: String,
    #[strata(version)]
    pub version: i64,
}

fn main() {}
