use strata::{BelongsTo, ManyToMany, Model};

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
    #[strata(many_to_many(through = PostTag))]
    pub posts: ManyToMany<Post>,
}

#[derive(Model)]
#[strata(id(fields(post_id, tag_id)))]
pub struct PostTag {
    pub post_id: i64,
    pub tag_id: i64,
    #[strata(belongs_to(fields(post_id), references(id)))]
    pub post: BelongsTo<Post>,
    #[strata(belongs_to(fields(tag_id), references(id)))]
    pub tag: BelongsTo<Tag>,
}

fn main() {}
