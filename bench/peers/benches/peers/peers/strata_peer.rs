//! strata, as its README shows it: `#[derive(Model)]` structs over the bench's
//! tables (which exist already: no `push_schema`), `belongs_to`/`has_many`
//! relations, the generated builders for the model-shaped cases, the select
//! builder for the LEFT JOIN, and nested `include` for the associations. Two
//! ways to hold connections: `Db::connect_single` (one dedicated connection)
//! and `Db::connect` (strata's default pool).

use crate::fixture::Fixture;
use crate::peer::Peer;
use strata::dsl::eq;
use strata::{BelongsTo, Db, HasMany, Model};
use strata_peers_bench::case::Case;

#[derive(Model, Debug, Clone)]
#[strata(table = "users")]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i32,
    pub name: String,
    pub hair_color: Option<String>,
    #[strata(has_many)]
    pub posts: HasMany<Post>,
}

#[derive(Model, Debug, Clone)]
#[strata(table = "posts")]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i32,
    pub user_id: i32,
    #[strata(belongs_to(fields(user_id), references(id)))]
    pub user: BelongsTo<User>,
    pub title: String,
    pub body: Option<String>,
    #[strata(has_many)]
    pub comments: HasMany<Comment>,
}

#[derive(Model, Debug, Clone)]
#[strata(table = "comments")]
pub struct Comment {
    #[strata(id, default = autoincrement)]
    pub id: i32,
    pub post_id: i32,
    #[strata(belongs_to(fields(post_id), references(id)))]
    pub post: BelongsTo<Post>,
    pub text: String,
}

/// A user's columns as the select builder reads them.
type UserCols = (i32, String, Option<String>);
/// A left-joined post's columns, present when the user has a post.
type PostCols = (i32, i32, String, Option<String>);

pub struct StrataPeer {
    name: String,
    db: Db,
}

pub async fn connect_all(fixture: &Fixture) -> Vec<Box<dyn Peer>> {
    let url = fixture.url.as_str();
    vec![
        Box::new(StrataPeer {
            name: "strata (single connection)".into(),
            db: Db::connect_single(url).await.expect("connect"),
        }) as Box<dyn Peer>,
        Box::new(StrataPeer {
            name: "strata (pool)".into(),
            db: Db::connect(url).await.expect("pool"),
        }),
    ]
}

impl StrataPeer {
    async fn trivial_query(&mut self) -> Vec<User> {
        User::find_many()
            .exec(&self.db)
            .await
            .expect("trivial query")
    }

    async fn medium_complex_query(&mut self) -> Vec<(UserCols, Option<PostCols>)> {
        let rows = strata::select((
            User::id(),
            User::name(),
            User::hair_color(),
            Post::id(),
            Post::user_id(),
            Post::title(),
            Post::body(),
        ))
        .from::<User>()
        .left_join::<Post>(eq(Post::user_id(), User::id()))
        .filter(User::hair_color().eq("black"))
        .fetch_all(&self.db)
        .await
        .expect("medium complex query");
        rows.into_iter()
            .map(|(id, name, hair_color, post_id, user_id, title, body)| {
                let post = post_id.map(|post_id| {
                    (
                        post_id,
                        user_id.unwrap_or_default(),
                        title.unwrap_or_default(),
                        body,
                    )
                });
                ((id, name, hair_color), post)
            })
            .collect()
    }

    async fn insert(&mut self, rows: usize) -> u64 {
        let creates = (0..rows).map(|i| {
            User::create()
                .name(Case::user_name(i))
                .hair_color(Case::Insert(rows).hair_color(i))
        });
        User::create_many(creates)
            .exec(&self.db)
            .await
            .expect("insert")
    }

    async fn associations(&mut self) -> Loaded {
        Loaded(
            User::find_many()
                .include(User::posts().include(Post::comments()))
                .exec(&self.db)
                .await
                .expect("associations"),
        )
    }
}

/// Users as strata returns them, their posts and comments loaded into the
/// relation fields. Only the untimed check takes them apart into pairs.
pub struct Loaded(Vec<User>);

type Tree = (User, Vec<(Post, Vec<Comment>)>);

impl IntoIterator for Loaded {
    type Item = Tree;
    type IntoIter = std::iter::Map<std::vec::IntoIter<User>, fn(User) -> Tree>;

    fn into_iter(self) -> Self::IntoIter {
        fn split(mut user: User) -> Tree {
            let posts = user.posts.take().expect("posts loaded");
            let posts = posts
                .into_iter()
                .map(|mut post| {
                    let comments = post.comments.take().expect("comments loaded");
                    (post, comments)
                })
                .collect();
            (user, posts)
        }
        self.0.into_iter().map(split as fn(User) -> Tree)
    }
}

impl_into_rows!(User, Post, Comment);

impl_peer!(StrataPeer);
