//! Diesel 2, synchronous: `PgConnection` (libpq) and `SqliteConnection`,
//! queries built with the DSL over the `table!` schema in `diesel_schema.rs`,
//! as diesel_bench writes them. Diesel blocks: each async method below just
//! runs the synchronous call, holding the runtime's thread meanwhile, as any
//! synchronous application on a runtime would.

use super::diesel_schema::{new_users, posts, stitch, users, Comment, Post, User, UserTree};
use crate::fixture::{Database, Fixture};
use crate::peer::Peer;
use diesel::prelude::*;

/// Diesel's two connections here, each of its own backend type.
enum Conn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub struct DieselPeer {
    name: String,
    conn: Conn,
}

pub async fn connect_all(fixture: &Fixture) -> Vec<Box<dyn Peer>> {
    let url = fixture.url.as_str();
    let conn = match fixture.database {
        Database::Postgres => Conn::Pg(PgConnection::establish(url).expect("connect")),
        // Diesel opens `sqlite://path?mode=rwc` as the URI `file:path?mode=rwc`.
        Database::Sqlite => Conn::Sqlite(SqliteConnection::establish(url).expect("connect")),
    };
    vec![Box::new(DieselPeer {
        name: "diesel (sync)".into(),
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

impl DieselPeer {
    async fn trivial_query(&mut self) -> Vec<User> {
        with_conn!(self, |c| users::table.load::<User>(c)).expect("trivial query")
    }

    async fn medium_complex_query(&mut self) -> Vec<(User, Option<Post>)> {
        with_conn!(self, |c| users::table
            .left_join(posts::table)
            .filter(users::hair_color.eq("black"))
            .select((User::as_select(), Option::<Post>::as_select()))
            .load::<(User, Option<Post>)>(c))
        .expect("medium complex query")
    }

    async fn insert(&mut self, rows: usize) -> u64 {
        let new_users = new_users(rows);
        let inserted = with_conn!(self, |c| diesel::insert_into(users::table)
            .values(&new_users)
            .execute(c))
        .expect("insert");
        inserted as u64
    }

    async fn associations(&mut self) -> Vec<UserTree> {
        with_conn!(self, |c| {
            let users = users::table.load::<User>(c).expect("users");
            let posts = Post::belonging_to(&users).load::<Post>(c).expect("posts");
            let comments = Comment::belonging_to(&posts)
                .load::<Comment>(c)
                .expect("comments");
            stitch(users, posts, comments)
        })
    }
}

impl_peer!(DieselPeer);
