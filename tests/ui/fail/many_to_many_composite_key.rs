use strata::{ManyToMany, Model};

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(many_to_many)]
    pub tags: ManyToMany<Tag>,
}

#[derive(Model)]
#[strata(id(fields(namespace, name)))]
pub struct Tag {
    pub namespace: String,
    pub name: String,
    #[strata(many_to_many)]
    pub posts: ManyToMany<Post>,
}

fn main() {}
