use strata::{BelongsTo, HasOne, Model};

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(has_one)]
    pub profile: HasOne<Profile>,
}

#[derive(Model)]
pub struct Profile {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub user_id: i64,
    #[strata(belongs_to(fields(user_id), references(id)))]
    pub user: BelongsTo<User>,
}

fn main() {}
