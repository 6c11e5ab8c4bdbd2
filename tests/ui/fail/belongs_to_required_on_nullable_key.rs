use strata::{BelongsTo, HasMany, Model};

#[derive(Model)]
pub struct Category {
    #[strata(id, default = autoincrement)]
    pub id: i32,
    #[strata(has_many)]
    pub posts: HasMany<Post>,
}

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub category_id: Option<i32>,
    #[strata(belongs_to(fields(category_id), references(id)))]
    pub category: BelongsTo<Category>,
}

fn main() {}
