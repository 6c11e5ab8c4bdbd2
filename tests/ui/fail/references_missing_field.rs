use strata::Model;

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
}

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(references(model = User, field = user_id))]
    pub author_id: i64,
}

fn main() {}
