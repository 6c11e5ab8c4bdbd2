//! Every kind of relation declared once, with the accessor types and the
//! schema entries they generate.

use strata::relation::Relation;
use strata::schema::RelationKind;
use strata::{BelongsTo, HasMany, HasOne, ManyToMany, Model};

#[derive(Model, Debug, Clone, PartialEq)]
pub struct User {
    #[strata(id, default = cuid)]
    pub id: String,
    pub manager_id: Option<String>,
    #[strata(has_many(name = "authored"))]
    pub posts: HasMany<Post>,
    #[strata(has_many(name = "edited"))]
    pub edits: HasMany<Post>,
    #[strata(has_one)]
    pub profile: HasOne<Profile>,
    #[strata(belongs_to(fields(manager_id), references(id)), on_delete = set_null)]
    pub manager: BelongsTo<Option<Self>>,
    #[strata(has_many)]
    pub reports: HasMany<User>,
    #[strata(many_to_many(name = "follows"))]
    pub followers: ManyToMany<User>,
    #[strata(many_to_many(name = "follows"))]
    pub following: ManyToMany<User>,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Profile {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(unique)]
    pub user_id: String,
    #[strata(belongs_to(fields(user_id), references(id)), on_delete = cascade)]
    pub user: BelongsTo<User>,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Post {
    #[strata(id, default = uuid)]
    pub id: uuid::Uuid,
    pub author_id: String,
    pub editor_id: Option<String>,
    #[strata(belongs_to(fields(author_id), references(id), name = "authored", on_delete = cascade))]
    pub author: BelongsTo<User>,
    #[strata(belongs_to(fields(editor_id), references(id), name = "edited"))]
    pub editor: BelongsTo<Option<User>>,
    #[strata(many_to_many)]
    pub tags: ManyToMany<Tag>,
    #[strata(many_to_many(through = Pin))]
    pub pinned_in: ManyToMany<Board>,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Tag {
    #[strata(id, default = autoincrement)]
    pub id: i32,
    #[strata(many_to_many)]
    pub posts: ManyToMany<Post>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(unique(fields(owner, slug)))]
pub struct Board {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub owner: String,
    pub slug: String,
    #[strata(many_to_many(through = Pin))]
    pub posts: ManyToMany<Post>,
}

/// An explicit join model, pointing at a composite unique key of `Board`.
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(id(fields(post_id, board_owner, board_slug)))]
pub struct Pin {
    pub post_id: uuid::Uuid,
    pub board_owner: String,
    pub board_slug: String,
    #[strata(belongs_to(fields(post_id), references(id)))]
    pub post: BelongsTo<Post>,
    #[strata(belongs_to(fields(board_owner, board_slug), references(owner, slug)))]
    pub board: BelongsTo<Board>,
}

fn main() {
    let _: Relation<User, Post, HasMany<Post>> = User::posts();
    let _: Relation<User, Profile, HasOne<Profile>> = User::profile();
    let _: Relation<User, User, BelongsTo<Option<User>>> = User::manager();
    let _: Relation<Post, User, BelongsTo<User>> = Post::author();
    let _: Relation<Post, Tag, ManyToMany<Tag>> = Post::tags();

    let relations = User::SCHEMA.relations;
    assert_eq!(relations.len(), 7);
    assert_eq!(relations[3].field, "manager");
    assert_eq!(relations[3].kind, RelationKind::BelongsTo);
    assert_eq!(relations[3].fields, [1]);
    assert_eq!(relations[3].references, ["id"]);
    assert_eq!(relations[3].target_name, "User");
    assert_eq!(relations[0].name, Some("authored"));

    // The implicit join tables, the same from both sides.
    let follows = (relations[5].join.unwrap())();
    assert!(relations[5].implicit_join);
    assert_eq!(follows.table, "_follows");
    let tags = (Post::SCHEMA.relations[2].join.unwrap())();
    assert_eq!(tags.table, "_PostToTag");
    assert_eq!(tags.table, (Tag::SCHEMA.relations[0].join.unwrap())().table);
    assert_eq!(Post::SCHEMA.relations[3].through, Some("Pin"));
    assert_eq!(Pin::SCHEMA.foreign_keys[1].columns, [1, 2]);

    // Relation fields are not columns.
    assert_eq!(User::SCHEMA.columns.len(), 2);
    assert!(User::posts().schema().kind.is_many());
}
