use strata::{BelongsTo, HasMany, Model};

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(has_many, column = "posts")]
    pub posts: HasMany<Post>,
}

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub author_id: i64,
    #[strata(unique, belongs_to(fields(author_id), references(id)))]
    pub author: BelongsTo<User>,
}

fn main() {}
