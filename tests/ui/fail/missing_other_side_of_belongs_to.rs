use strata::{BelongsTo, HasMany, Model};

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(has_many(name = "edited"))]
    pub edited: HasMany<Post>,
}

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub author_id: i64,
    pub editor_id: i64,
    #[strata(belongs_to(fields(author_id), references(id)))]
    pub author: BelongsTo<User>,
    #[strata(belongs_to(fields(editor_id), references(id), name = "edited"))]
    pub editor: BelongsTo<User>,
}

fn main() {}
