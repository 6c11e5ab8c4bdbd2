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
    #[strata(references(model = User, field = id), on_delete = delete)]
    pub author_id: i64,
}

fn main() {}
