//! diesel-async: Diesel's query DSL over the same `table!` schema
//! (`diesel_schema.rs`), run by diesel-async's `RunQueryDsl` on an
//! `AsyncPgConnection` (tokio-postgres underneath) and, for SQLite, on the
//! `SyncConnectionWrapper<SqliteConnection>` diesel-async ships for it (the
//! synchronous connection moved to tokio's blocking pool for each call), as
//! diesel_bench's diesel_async_benches.rs does. The one exception, the
//! multi-row INSERT on SQLite, is explained at `insert`.

use super::diesel_schema::{new_users, posts, stitch, users, Comment, Post, User, UserTree};
use crate::fixture::{Database, Fixture};
use crate::peer::Peer;
use diesel::prelude::*;
use diesel::SqliteConnection;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

enum Conn {
    // Boxed: the PostgreSQL connection is ~10x the SQLite wrapper's size.
    Pg(Box<AsyncPgConnection>),
    Sqlite(SyncConnectionWrapper<SqliteConnection>),
}

pub struct DieselAsyncPeer {
    name: String,
    conn: Conn,
}

pub async fn connect_all(fixture: &Fixture) -> Vec<Box<dyn Peer>> {
    let url = fixture.url.as_str();
    let conn = match fixture.database {
        Database::Postgres => Conn::Pg(Box::new(
            AsyncPgConnection::establish(url).await.expect("connect"),
        )),
        Database::Sqlite => Conn::Sqlite(
            SyncConnectionWrapper::<SqliteConnection>::establish(url)
                .await
                .expect("connect"),
        ),
    };
    vec![Box::new(DieselAsyncPeer {
        name: "diesel-async".into(),
        conn,
    })]
}

/// Runs `$body` with `$c` bound to whichever connection this is: the body is
/// written once and type-checked against each backend.
macro_rules! with_conn {
    ($self:ident, |$c:ident| $body:expr) => {
        match &mut $self.conn {
            Conn::Pg($c) => $body,
            Conn::Sqlite($c) => $body,
        }
    };
}

impl DieselAsyncPeer {
    async fn trivial_query(&mut self) -> Vec<User> {
        with_conn!(self, |c| users::table.load::<User>(c).await).expect("trivial query")
    }

    async fn medium_complex_query(&mut self) -> Vec<(User, Option<Post>)> {
        with_conn!(self, |c| users::table
            .left_join(posts::table)
            .filter(users::hair_color.eq("black"))
            .select((User::as_select(), Option::<Post>::as_select()))
            .load::<(User, Option<Post>)>(c)
            .await)
        .expect("medium complex query")
    }

    async fn insert(&mut self, rows: usize) -> u64 {
        let new_users = new_users(rows);
        let inserted = match &mut self.conn {
            Conn::Pg(c) => {
                diesel::insert_into(users::table)
                    .values(&new_users)
                    .execute(c)
                    .await
            }
            // Diesel's single multi-row INSERT on SQLite is implemented for
            // its own `SqliteConnection` only (the wrapper's `execute` does
            // not accept a batch), so the same statement runs on the wrapped
            // connection through the wrapper's documented escape hatch.
            Conn::Sqlite(c) => {
                c.spawn_blocking(move |c| {
                    diesel::RunQueryDsl::execute(
                        diesel::insert_into(users::table).values(&new_users),
                        c,
                    )
                })
                .await
            }
        }
        .expect("insert");
        inserted as u64
    }

    async fn associations(&mut self) -> Vec<UserTree> {
        with_conn!(self, |c| {
            let users = users::table.load::<User>(c).await.expect("users");
            let posts = Post::belonging_to(&users)
                .load::<Post>(c)
                .await
                .expect("posts");
            let comments = Comment::belonging_to(&posts)
                .load::<Comment>(c)
                .await
                .expect("comments");
            stitch(users, posts, comments)
        })
    }
}

impl_peer!(DieselAsyncPeer);
