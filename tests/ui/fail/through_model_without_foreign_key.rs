use strata::{BelongsTo, ManyToMany, Model};

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(many_to_many(through = PostTag))]
    pub tags: ManyToMany<Tag>,
}

#[derive(Model)]
pub struct Tag {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(many_to_many(through = PostTag))]
    pub posts: ManyToMany<Post>,
}

/// Links posts, but forgot the `belongs_to` to `Tag`.
#[derive(Model)]
#[strata(id(fields(post_id, tag_id)))]
pub struct PostTag {
    pub post_id: i64,
    pub tag_id: i64,
    #[strata(belongs_to(fields(post_id), references(id)))]
    pub post: BelongsTo<Post>,
}

fn main() {}
