//! The bench database: diesel_bench's three tables, created by hand-written
//! DDL (the same for every library), and the rows each case starts from.
//! Seeding goes through sqlx directly, untimed.
//!
//! Two departures from diesel_bench, both applying to every library: the
//! foreign keys are indexed (without them a library that loads relations in
//! one joined statement, Drizzle's relational API for one, rescans
//! `comments` once per post and measures the missing index, not itself), and
//! commits do not wait for the disk (PostgreSQL `synchronous_commit = off`
//! on the bench database; the SQLite file is on tmpfs).

use sqlx::{
    AnyConnection, AssertSqlSafe, Connection, Executor, PgConnection, QueryBuilder,
    SqliteConnection,
};
use strata_peers_bench::case::{Case, ASSOCIATION_FANOUT, ASSOCIATION_USERS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    Postgres,
    Sqlite,
}

impl Database {
    pub fn name(self) -> &'static str {
        match self {
            Database::Postgres => "postgres",
            Database::Sqlite => "sqlite",
        }
    }
}

const PG_DDL: &str = "
CREATE TABLE users (id SERIAL PRIMARY KEY, name VARCHAR NOT NULL, hair_color VARCHAR);
CREATE TABLE posts (id SERIAL PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), title VARCHAR NOT NULL, body TEXT);
CREATE TABLE comments (id SERIAL PRIMARY KEY, post_id INTEGER NOT NULL REFERENCES posts (id), text TEXT NOT NULL);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE INDEX comments_post_id ON comments (post_id);
";

const SQLITE_DDL: &str = "
PRAGMA journal_mode = WAL;
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name VARCHAR NOT NULL, hair_color VARCHAR);
CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, user_id INTEGER NOT NULL REFERENCES users (id), title VARCHAR NOT NULL, body TEXT);
CREATE TABLE comments (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, post_id INTEGER NOT NULL REFERENCES posts (id), text TEXT NOT NULL);
CREATE INDEX posts_user_id ON posts (user_id);
CREATE INDEX comments_post_id ON comments (post_id);
";

/// A seeded column value.
enum Seed {
    Int(i32),
    Text(Option<String>),
}

/// The bench database of one kind, created empty with the three tables.
pub struct Fixture {
    pub database: Database,
    /// What every library connects to.
    pub url: String,
}

/// The bench's own PostgreSQL database name, dropped and recreated each run.
const PG_DATABASE: &str = "strata_peers";
/// On tmpfs, so that a commit does not wait for a disk (see BENCHMARKS.md).
const SQLITE_PATH: &str = "/dev/shm/strata_peers.sqlite";

impl Fixture {
    /// Creates the database from scratch. `pg_url` is a server URL whose
    /// database the bench may connect to for `CREATE DATABASE`.
    pub async fn create(database: Database, pg_url: &str) -> Fixture {
        let url = match database {
            Database::Postgres => {
                let mut admin = PgConnection::connect(pg_url)
                    .await
                    .unwrap_or_else(|e| panic!("connect to {pg_url}: {e}"));
                admin
                    .execute(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"
                    )))
                    .await
                    .expect("drop the bench database");
                admin
                    .execute(AssertSqlSafe(format!("CREATE DATABASE {PG_DATABASE}")))
                    .await
                    .expect("create the bench database");
                // A commit does not wait for the disk: a ~4 ms fsync would
                // drown every client-side difference in the write cases.
                admin
                    .execute(AssertSqlSafe(format!(
                        "ALTER DATABASE {PG_DATABASE} SET synchronous_commit = off"
                    )))
                    .await
                    .expect("synchronous_commit off");
                with_database(pg_url, PG_DATABASE)
            }
            Database::Sqlite => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{SQLITE_PATH}{suffix}"));
                }
                format!("sqlite://{SQLITE_PATH}?mode=rwc")
            }
        };
        let fixture = Fixture { database, url };
        let ddl = match database {
            Database::Postgres => PG_DDL,
            Database::Sqlite => SQLITE_DDL,
        };
        fixture.execute_many(ddl).await;
        fixture
    }

    /// Empties the tables (ids restart at 1) and inserts what `case` starts from.
    pub async fn seed(&self, case: Case) {
        self.empty().await;
        let users = match case {
            Case::TrivialQuery(n) | Case::MediumComplexQuery(n) => n,
            Case::Insert(_) => 0,
            Case::Associations => ASSOCIATION_USERS,
        };
        let users: Vec<(String, Option<String>)> = (0..users)
            .map(|i| (Case::user_name(i), case.hair_color(i)))
            .collect();
        self.insert("users", &["name", "hair_color"], &users, |(name, hair)| {
            vec![Seed::Text(Some(name.clone())), Seed::Text(hair.clone())]
        })
        .await;
        if case != Case::Associations {
            return;
        }
        // Ids restart at 1, so user k (0-based) has id k + 1, and so on down.
        let posts: Vec<(i64, String)> = (1..=users.len() as i64)
            .flat_map(|user| {
                (0..ASSOCIATION_FANOUT).map(move |i| (user, Case::post_title(i, user)))
            })
            .collect();
        self.insert("posts", &["user_id", "title"], &posts, |(user, title)| {
            vec![Seed::Int(*user as i32), Seed::Text(Some(title.clone()))]
        })
        .await;
        let comments: Vec<(i64, String)> = (1..=posts.len() as i64)
            .flat_map(|post| {
                (0..ASSOCIATION_FANOUT).map(move |i| (post, Case::comment_text(i, post)))
            })
            .collect();
        self.insert(
            "comments",
            &["post_id", "text"],
            &comments,
            |(post, text)| vec![Seed::Int(*post as i32), Seed::Text(Some(text.clone()))],
        )
        .await;
    }

    /// Empties every table and restarts the ids.
    pub async fn empty(&self) {
        let sql = match self.database {
            Database::Postgres => "TRUNCATE comments, posts, users RESTART IDENTITY",
            Database::Sqlite => {
                "DELETE FROM comments; DELETE FROM posts; DELETE FROM users; DELETE FROM sqlite_sequence"
            }
        };
        self.execute_many(sql).await;
    }

    /// `(name, hair_color)` of every user, sorted: what an insert case left.
    pub async fn user_names(&self) -> Vec<(String, Option<String>)> {
        const SQL: &str = "SELECT name, hair_color FROM users ORDER BY name, hair_color";
        let mut conn = self.connect().await;
        sqlx::query_as(SQL)
            .fetch_all(&mut conn)
            .await
            .expect("read users")
    }

    /// Multi-row INSERTs of `rows` in chunks (well under every bind limit),
    /// in one transaction.
    async fn insert<T>(
        &self,
        table: &str,
        columns: &[&str],
        rows: &[T],
        values: impl Fn(&T) -> Vec<Seed>,
    ) {
        if rows.is_empty() {
            return;
        }
        let head = format!("INSERT INTO {table} ({}) ", columns.join(", "));
        // Per dialect, not through `Any`: its builder writes `?` placeholders,
        // which PostgreSQL does not take.
        macro_rules! chunks {
            ($conn:ty, $db:ty) => {{
                let mut conn = <$conn>::connect(&self.url).await.expect("connect");
                let mut tx = conn.begin().await.expect("begin");
                for chunk in rows.chunks(1000) {
                    let mut b = QueryBuilder::<$db>::new(head.clone());
                    b.push_values(chunk, |mut s, row| {
                        for value in values(row) {
                            match value {
                                Seed::Int(v) => s.push_bind(v),
                                Seed::Text(v) => s.push_bind(v),
                            };
                        }
                    });
                    b.build().execute(&mut *tx).await.expect("seed");
                }
                tx.commit().await.expect("commit");
            }};
        }
        match self.database {
            Database::Postgres => chunks!(PgConnection, sqlx::Postgres),
            Database::Sqlite => chunks!(SqliteConnection, sqlx::Sqlite),
        }
    }

    async fn execute_many(&self, sql: &str) {
        let mut conn = self.connect().await;
        for statement in sql.split(';').filter(|s| !s.trim().is_empty()) {
            conn.execute(AssertSqlSafe(statement.to_string()))
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
    }

    async fn connect(&self) -> AnyConnection {
        sqlx::any::install_default_drivers();
        AnyConnection::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.url))
    }
}

/// `url` with its database (path) replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}
