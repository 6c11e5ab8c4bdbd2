use strata::Model;

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(on_delete = cascade)]
    pub author_id: i64,
}

fn main() {}
