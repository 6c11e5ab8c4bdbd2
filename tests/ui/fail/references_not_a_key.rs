use strata::{BelongsTo, HasMany, Model};

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub email: String,
    #[strata(has_many)]
    pub posts: HasMany<Post>,
}

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub author_email: String,
    #[strata(belongs_to(fields(author_email), references(email)))]
    pub author: BelongsTo<User>,
}

fn main() {}
