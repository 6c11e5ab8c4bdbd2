use strata::{BelongsTo, HasMany, Model};

#[derive(Model)]
#[strata(unique(fields(org, number)))]
pub struct Account {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub org: String,
    pub number: i32,
    #[strata(has_many)]
    pub invoices: HasMany<Invoice>,
}

#[derive(Model)]
pub struct Invoice {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub account_org: String,
    pub account_number: i32,
    #[strata(belongs_to(fields(account_org, account_number), references(org)))]
    pub account: BelongsTo<Account>,
}

fn main() {}
