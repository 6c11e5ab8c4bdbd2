//! `users(id SERIAL, name VARCHAR NOT NULL, hair_color VARCHAR)`.

use sea_orm::entity::prelude::*;

/// `compact_model`: the Relation enum and `Related` impls below, plus the
/// relation field that lets SeaORM 2's Entity Loader fill `posts`.
#[sea_orm::compact_model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub hair_color: Option<String>,
    pub posts: HasMany<super::posts::Entity>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::posts::Entity")]
    Posts,
}

impl Related<super::posts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Posts.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
