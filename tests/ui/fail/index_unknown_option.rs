use strata::Model;

#[derive(Model)]
#[strata(index(fields(published), sorted))]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub published: bool,
}

fn main() {}
