use strata::Model;

#[derive(Model)]
#[strata(index(fields(published), include(titel)))]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub title: String,
    pub published: bool,
}

fn main() {}
