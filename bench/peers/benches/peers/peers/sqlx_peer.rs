//! Hand-written sqlx: `query_as` into `#[derive(FromRow)]` structs, statements
//! cached by sqlx (the default), values bound. Three ways to hold
//! connections: a bare connection, a `Pool` with sqlx's default options, and
//! a `Pool` tuned the way strata's default pool is (no round trip to test a
//! connection on every acquire).

use crate::fixture::{Database, Fixture};
use crate::peer::Peer;
use sqlx::pool::PoolOptions;
use sqlx::{
    AssertSqlSafe, Connection, FromRow, PgConnection, PgPool, QueryBuilder, SqliteConnection,
    SqlitePool,
};
use strata_peers_bench::case::Case;

#[derive(FromRow)]
pub struct User {
    pub id: i32,
    pub name: String,
    pub hair_color: Option<String>,
}

#[derive(FromRow)]
pub struct Post {
    pub id: i32,
    pub user_id: i32,
    pub title: String,
    pub body: Option<String>,
}

#[derive(FromRow)]
pub struct Comment {
    pub id: i32,
    pub post_id: i32,
    pub text: String,
}

/// A LEFT JOIN row: the post's columns are NULL when the user has none.
#[derive(FromRow)]
pub struct UserWithPost {
    pub id: i32,
    pub name: String,
    pub hair_color: Option<String>,
    pub post_id: Option<i32>,
    pub user_id: Option<i32>,
    pub title: Option<String>,
    pub body: Option<String>,
}

enum Conn {
    Pg(PgConnection),
    PgPool(PgPool),
    Sqlite(SqliteConnection),
    SqlitePool(SqlitePool),
}

pub struct SqlxPeer {
    name: String,
    conn: Conn,
}

/// Runs `$body` with `$e` bound to an executor of whichever connection this
/// is and `$db` to its sqlx database type.
macro_rules! with_executor {
    ($self:ident, |$e:ident, $db:ident| $body:expr) => {
        match &mut $self.conn {
            Conn::Pg(c) => {
                type $db = sqlx::Postgres;
                let $e = &mut *c;
                $body
            }
            Conn::PgPool(p) => {
                type $db = sqlx::Postgres;
                let $e = &*p;
                $body
            }
            Conn::Sqlite(c) => {
                type $db = sqlx::Sqlite;
                let $e = &mut *c;
                $body
            }
            Conn::SqlitePool(p) => {
                type $db = sqlx::Sqlite;
                let $e = &*p;
                $body
            }
        }
    };
}

const USERS: &str = "SELECT id, name, hair_color FROM users";
const MEDIUM_PG: &str =
    "SELECT u.id, u.name, u.hair_color, p.id AS post_id, p.user_id, p.title, p.body \
    FROM users AS u LEFT JOIN posts AS p ON u.id = p.user_id WHERE u.hair_color = $1";
const MEDIUM_SQLITE: &str =
    "SELECT u.id, u.name, u.hair_color, p.id AS post_id, p.user_id, p.title, p.body \
    FROM users AS u LEFT JOIN posts AS p ON u.id = p.user_id WHERE u.hair_color = ?";

pub async fn connect_all(fixture: &Fixture) -> Vec<Box<dyn Peer>> {
    let url = fixture.url.as_str();
    let conns: Vec<(&str, Conn)> = match fixture.database {
        Database::Postgres => vec![
            (
                "sqlx (connection)",
                Conn::Pg(PgConnection::connect(url).await.expect("connect")),
            ),
            (
                "sqlx (pool, default)",
                Conn::PgPool(PgPool::connect(url).await.expect("pool")),
            ),
            (
                "sqlx (pool, tuned)",
                Conn::PgPool(tuned().connect(url).await.expect("pool")),
            ),
        ],
        Database::Sqlite => vec![
            (
                "sqlx (connection)",
                Conn::Sqlite(SqliteConnection::connect(url).await.expect("connect")),
            ),
            (
                "sqlx (pool, default)",
                Conn::SqlitePool(SqlitePool::connect(url).await.expect("pool")),
            ),
            (
                "sqlx (pool, tuned)",
                Conn::SqlitePool(tuned().connect(url).await.expect("pool")),
            ),
        ],
    };
    conns
        .into_iter()
        .map(|(name, conn)| {
            Box::new(SqlxPeer {
                name: name.into(),
                conn,
            }) as Box<dyn Peer>
        })
        .collect()
}

/// sqlx's pool without the round trip that tests a connection on every
/// acquire, as strata's default pool does.
fn tuned<DB: sqlx::Database>() -> PoolOptions<DB> {
    PoolOptions::new().test_before_acquire(false)
}

impl SqlxPeer {
    fn is_pg(&self) -> bool {
        matches!(self.conn, Conn::Pg(_) | Conn::PgPool(_))
    }

    async fn trivial_query(&mut self) -> Vec<User> {
        with_executor!(self, |e, Db| sqlx::query_as::<Db, User>(USERS)
            .fetch_all(e)
            .await
            .expect("trivial query"))
    }

    async fn medium_complex_query(&mut self) -> Vec<(User, Option<Post>)> {
        let sql = if self.is_pg() {
            MEDIUM_PG
        } else {
            MEDIUM_SQLITE
        };
        let rows = with_executor!(self, |e, Db| sqlx::query_as::<Db, UserWithPost>(sql)
            .bind("black")
            .fetch_all(e)
            .await
            .expect("medium complex query"));
        rows.into_iter()
            .map(|r| {
                let user = User {
                    id: r.id,
                    name: r.name,
                    hair_color: r.hair_color,
                };
                let post = r.post_id.map(|id| Post {
                    id,
                    user_id: r.user_id.unwrap_or_default(),
                    title: r.title.unwrap_or_default(),
                    body: r.body,
                });
                (user, post)
            })
            .collect()
    }

    async fn insert(&mut self, rows: usize) -> u64 {
        with_executor!(self, |e, Db| {
            let mut b = QueryBuilder::<Db>::new("INSERT INTO users (name, hair_color) ");
            b.push_values(0..rows, |mut s, i| {
                s.push_bind(Case::user_name(i))
                    .push_bind(Case::Insert(rows).hair_color(i));
            });
            b.build().execute(e).await.expect("insert").rows_affected()
        })
    }

    async fn associations(&mut self) -> Vec<(User, Vec<(Post, Vec<Comment>)>)> {
        let users = self.trivial_query().await;
        let user_ids: Vec<i32> = users.iter().map(|u| u.id).collect();
        let posts: Vec<Post> = self
            .in_list(
                "SELECT id, user_id, title, body FROM posts WHERE user_id",
                &user_ids,
            )
            .await;
        let post_ids: Vec<i32> = posts.iter().map(|p| p.id).collect();
        let comments: Vec<Comment> = self
            .in_list(
                "SELECT id, post_id, text FROM comments WHERE post_id",
                &post_ids,
            )
            .await;
        stitch_by_hand!(users, posts, comments)
    }

    /// `<select> = ANY($1)` with the ids as one array on PostgreSQL (one
    /// statement text whatever the count); `<select> IN (?, ?, ...)` on SQLite,
    /// which has no arrays. (Both are built each call; the unused one costs
    /// a string and no round trip.)
    async fn in_list<T>(&mut self, select: &'static str, ids: &[i32]) -> Vec<T>
    where
        T: Send
            + Unpin
            + for<'r> FromRow<'r, sqlx::postgres::PgRow>
            + for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>,
    {
        let pg_sql = AssertSqlSafe(format!("{select} = ANY($1)"));
        let pg = sqlx::query_as::<sqlx::Postgres, T>(pg_sql).bind(ids);
        let mut b = QueryBuilder::<sqlx::Sqlite>::new(select);
        b.push(" IN (");
        let mut s = b.separated(", ");
        for id in ids {
            s.push_bind(*id);
        }
        b.push(")");
        let rows = match &mut self.conn {
            Conn::Pg(c) => pg.fetch_all(c).await,
            Conn::PgPool(p) => pg.fetch_all(&*p).await,
            Conn::Sqlite(c) => b.build_query_as::<T>().fetch_all(c).await,
            Conn::SqlitePool(p) => b.build_query_as::<T>().fetch_all(&*p).await,
        };
        rows.expect("in list")
    }
}

impl_into_rows!(User, Post, Comment);

impl_peer!(SqlxPeer);
