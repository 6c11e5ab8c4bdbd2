use strata::{ManyToMany, Model};

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(many_to_many)]
    pub tags: ManyToMany<Tag>,
}

#[derive(Model)]
pub struct Tag {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub name: String,
}

fn main() {}
