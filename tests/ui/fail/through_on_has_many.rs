use strata::{HasMany, Model};

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(has_many(through = PostTag))]
    pub tags: HasMany<Tag>,
}

#[derive(Model)]
pub struct Tag {
    #[strata(id, default = autoincrement)]
    pub id: i64,
}

fn main() {}
