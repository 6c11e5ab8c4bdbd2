//! The strata side: the generated builders on a `Db`, as an application calls them.

use super::cases::{Case, Strategy, CONTENT, MANY, POSTS};
use super::fixture::Fixture;
use crate::{timed, BoxFuture, Contender};
use schema_examples::blog::Post;
use std::sync::Arc;
use std::time::Duration;
use strata::render::render;
use strata::{increment, Db, Dialect, IntoCreate as _};
use uuid::Uuid;

/// The create both sides run: 4 values set, `id` (uuid) and `created_at` (now)
/// filled in by strata, the rest left to column defaults.
pub fn strata_create(title: &str, author: &str) -> impl strata::IntoCreate<Post> {
    Post::create()
        .title(title)
        .content(CONTENT)
        .published(true)
        .author_id(author)
}

/// The statement `Post::update(Post::by_id(id)).views(increment(1))` runs (the
/// generated builder does not expose it).
pub fn update_statement(id: Uuid) -> strata::query::ast::Statement {
    use strata::Model as _;
    let views = Post::SCHEMA
        .columns
        .iter()
        .position(|c| c.field == "views")
        .expect("posts.views");
    let mut update = strata::Update::<Post, strata::UniqueKey<Post>>::new(Post::by_id(id));
    update.assign(
        views,
        strata::IntoAssign::<i64, _>::into_assign(increment(1i64)),
    );
    update.statement()
}

/// strata on a `Db` (pool or single connection), running one case.
pub struct StrataSide {
    db: Db,
    fx: Arc<Fixture>,
    case: Case,
    next: usize,
}

impl StrataSide {
    pub async fn connect(fx: &Arc<Fixture>, strategy: Strategy, case: Case) -> StrataSide {
        let db = match strategy {
            Strategy::Single => Db::connect_single(&fx.url).await.unwrap(),
            Strategy::Pool => Db::connect(&fx.url).await.unwrap(),
        };
        StrataSide {
            db,
            fx: fx.clone(),
            case,
            next: 0,
        }
    }

    /// strata's client work for `case` before executing: the builder calls, the
    /// AST and the rendered SQL with its binds. Returns the SQL's length.
    pub fn build(dialect: Dialect, case: Case, id: Uuid, writer: &str) -> usize {
        match case {
            Case::FindById => render(&Post::find_unique(Post::by_id(id)).statement(), dialect)
                .sql
                .len(),
            Case::FindMany100 => {
                let q = Post::find_many().filter(Post::author_id().eq(writer));
                render(&q.statement().unwrap(), dialect).sql.len()
            }
            Case::FindManyAll => render(&Post::find_many().statement().unwrap(), dialect)
                .sql
                .len(),
            Case::Create => {
                let c = strata_create("Benchmark post", writer).into_create();
                render(&c.statement(), dialect).sql.len()
            }
            Case::CreateMany => {
                let rows = (0..MANY).map(|_| strata_create("Benchmark post", writer));
                let statements = Post::create_many(rows).statements(dialect);
                statements
                    .iter()
                    .map(|s| render(s, dialect).sql.len())
                    .sum()
            }
            Case::UpdateById => render(&update_statement(id), dialect).sql.len(),
        }
    }
}

impl Contender for StrataSide {
    fn batch<'a>(&'a mut self, n: usize, out: &'a mut Vec<Duration>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let StrataSide { db, fx, case, next } = self;
            let fx = &**fx;
            match case {
                Case::FindById => timed!(n, out, |_i| {
                    *next += 1;
                    Post::find_unique(Post::by_id(fx.post_id(*next)))
                        .exec(db)
                        .await
                        .unwrap()
                        .expect("row")
                }),
                Case::FindMany100 => timed!(n, out, |_i| {
                    *next += 1;
                    let rows = Post::find_many()
                        .filter(Post::author_id().eq(fx.author(*next)))
                        .exec(db)
                        .await
                        .unwrap();
                    debug_assert_eq!(rows.len(), 100);
                    rows
                }),
                Case::FindManyAll => timed!(n, out, |_i| {
                    let rows = Post::find_many().exec(db).await.unwrap();
                    debug_assert_eq!(rows.len(), POSTS);
                    rows
                }),
                Case::Create => timed!(n, out, |_i| {
                    *next += 1;
                    Post::create()
                        .title(fx.title(*next))
                        .content(CONTENT)
                        .published(true)
                        .author_id(&fx.writer)
                        .exec(db)
                        .await
                        .unwrap()
                }),
                Case::CreateMany => timed!(n, out, |_i| {
                    *next += 1;
                    let base = *next * MANY;
                    let rows = (0..MANY).map(|j| {
                        Post::create()
                            .title(fx.title(base + j))
                            .content(CONTENT)
                            .published(true)
                            .author_id(&fx.writer)
                    });
                    let inserted = Post::create_many(rows).exec(db).await.unwrap();
                    debug_assert_eq!(inserted as usize, MANY);
                    inserted
                }),
                Case::UpdateById => timed!(n, out, |_i| {
                    *next += 1;
                    Post::update(Post::by_id(fx.post_id(*next)))
                        .views(increment(1))
                        .exec(db)
                        .await
                        .unwrap()
                }),
            }
        })
    }
}
