//! SeaORM 2, as its documentation writes it: one entity module per table
//! (`DeriveEntityModel`, a `Relation` enum, `Related` impls; see `sea_orm/`),
//! a `DatabaseConnection` from `Database::connect(url)` (SeaORM's default
//! `ConnectOptions`, i.e. its sqlx pool), and the query builder for every
//! case. Associations use SeaORM 2's Entity Loader, its recommended way to
//! load nested relations: one query per level (`WHERE user_id IN (..)`, then
//! `WHERE post_id IN (..)`), the models arriving already nested.

#[path = "sea_orm/comments.rs"]
mod comments;
#[path = "sea_orm/posts.rs"]
mod posts;
#[path = "sea_orm/users.rs"]
mod users;

use crate::fixture::Fixture;
use crate::peer::Peer;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, Database, DatabaseConnection};
use strata_peers_bench::case::Case;
use strata_peers_bench::rows::{CommentRow, PostRow, UserRow};

pub struct SeaOrmPeer {
    name: String,
    db: DatabaseConnection,
}

/// PostgreSQL and SQLite alike: SeaORM picks the backend from the URL.
pub async fn connect_all(fixture: &Fixture) -> Vec<Box<dyn Peer>> {
    let db = Database::connect(fixture.url.as_str())
        .await
        .expect("sea-orm connect");
    vec![Box::new(SeaOrmPeer {
        name: "sea-orm".into(),
        db,
    })]
}

impl SeaOrmPeer {
    async fn trivial_query(&mut self) -> Vec<users::Model> {
        users::Entity::find()
            .all(&self.db)
            .await
            .expect("trivial query")
    }

    async fn medium_complex_query(&mut self) -> Vec<(users::Model, Option<posts::Model>)> {
        users::Entity::find()
            .find_also_related(posts::Entity)
            .filter(users::Column::HairColor.eq("black"))
            .all(&self.db)
            .await
            .expect("medium complex query")
    }

    /// One multi-row INSERT; `exec_without_returning` is SeaORM's insert that
    /// reports the rows inserted (`exec` would report the last id instead).
    async fn insert(&mut self, rows: usize) -> u64 {
        let models = (0..rows).map(|i| users::ActiveModel {
            name: Set(Case::user_name(i)),
            hair_color: Set(Case::Insert(rows).hair_color(i)),
            ..Default::default()
        });
        users::Entity::insert_many(models)
            .exec_without_returning(&self.db)
            .await
            .expect("insert")
    }

    /// Users with their posts and the posts' comments, loaded by the Entity
    /// Loader (three statements), then split into (user, [(post, [comment])]).
    #[allow(clippy::type_complexity)]
    async fn associations(
        &mut self,
    ) -> Vec<(
        users::ModelEx,
        Vec<(posts::ModelEx, HasMany<comments::Entity>)>,
    )> {
        let users = users::Entity::load()
            .with((posts::Entity, comments::Entity))
            .all(&self.db)
            .await
            .expect("associations");
        users
            .into_iter()
            .map(|mut user| {
                let posts = std::mem::take(&mut user.posts)
                    .into_iter()
                    .map(|mut post| {
                        let comments = std::mem::take(&mut post.comments);
                        (post, comments)
                    })
                    .collect();
                (user, posts)
            })
            .collect()
    }
}

impl From<users::Model> for UserRow {
    fn from(u: users::Model) -> Self {
        (u.id, u.name, u.hair_color).into()
    }
}

impl From<users::ModelEx> for UserRow {
    fn from(u: users::ModelEx) -> Self {
        (u.id, u.name, u.hair_color).into()
    }
}

impl From<posts::Model> for PostRow {
    fn from(p: posts::Model) -> Self {
        (p.id, p.user_id, p.title, p.body).into()
    }
}

impl From<posts::ModelEx> for PostRow {
    fn from(p: posts::ModelEx) -> Self {
        (p.id, p.user_id, p.title, p.body).into()
    }
}

impl From<comments::ModelEx> for CommentRow {
    fn from(c: comments::ModelEx) -> Self {
        (c.id, c.post_id, c.text).into()
    }
}

impl_peer!(SeaOrmPeer);
