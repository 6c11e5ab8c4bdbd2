//! The seeded database every comparison on it shares, and the untimed cleanup
//! after the write cases.

use super::cases::{now_micros, Kind, AUTHORS, CONTENT, POSTS};
use super::rows::{Fields, PgPost, SqlitePost};
use super::sql::{check_sql, sql_for, Sql};
use crate::{BoxFuture, Cleanup};
use schema_examples::blog::{BlogSchema, Category, Post, PostStatus, User};
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AssertSqlSafe, Connection as _};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use strata::Db;
use uuid::Uuid;

/// The email of the user the create cases write as.
const WRITER: &str = "writer@example.com";

/// One seeded database, shared by every comparison on it.
#[derive(Debug)]
pub struct Fixture {
    pub kind: Kind,
    pub url: String,
    pub sql: Sql,
    pub post_ids: Vec<Uuid>,
    pub authors: Vec<String>,
    /// The author of every post the create cases write (deleted after each batch).
    pub writer: String,
    pub titles: Vec<String>,
    pub server_version: String,
}

impl Fixture {
    pub fn post_id(&self, k: usize) -> Uuid {
        self.post_ids[k % self.post_ids.len()]
    }
    pub fn author(&self, k: usize) -> &str {
        &self.authors[k % self.authors.len()]
    }
    pub fn title(&self, k: usize) -> &str {
        &self.titles[k % self.titles.len()]
    }
}

/// strata's SQLite connection settings (runtime/src/execute/pool.rs), for sqlx.
pub fn sqlite_options(url: &str) -> SqliteConnectOptions {
    SqliteConnectOptions::from_str(url)
        .expect("sqlite url")
        .create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5))
        // strata's `SQLITE_ROW_BUFFER`: how far the connection's worker thread
        // reads ahead; the same hand-off on both sides.
        .row_buffer_size(256)
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Creates a fresh database and seeds it through strata. `None` if the server
/// cannot be reached. PostgreSQL: the database `strata_bench` on the server of
/// `pg_url`, dropped and recreated. SQLite: a new file, on tmpfs unless
/// `durable`.
pub async fn setup(kind: Kind, pg_url: &str, durable: bool) -> Option<Fixture> {
    let place = match kind {
        Kind::Postgres => "strata_bench".to_owned(),
        Kind::Sqlite => format!("strata-bench-{}", std::process::id()),
    };
    setup_at(kind, pg_url, durable, &place).await
}

/// [`setup`] at a given place: the PostgreSQL database `name`, or the SQLite
/// file `name.db`. The data can be reopened later with [`Fixture::open`].
pub async fn setup_at(kind: Kind, pg_url: &str, durable: bool, name: &str) -> Option<Fixture> {
    let url = match kind {
        Kind::Postgres => {
            let admin = PgConnectOptions::from_str(pg_url).expect("STRATA_BENCH_PG_URL");
            let mut conn = match sqlx::PgConnection::connect_with(&admin).await {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("skipping PostgreSQL: cannot connect to {pg_url}: {e}");
                    return None;
                }
            };
            sqlx::raw_sql(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .expect("drop database");
            sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create database");
            if !durable {
                // A commit's fsync takes ~4 ms on this machine's disk and varies
                // a lot; it would drown the µs both sides spend in the client.
                // Both sides run the same statements, so neither gains from this.
                sqlx::raw_sql(AssertSqlSafe(format!(
                    "ALTER DATABASE {name} SET synchronous_commit = off"
                )))
                .execute(&mut conn)
                .await
                .expect("synchronous_commit");
            }
            conn.close().await.ok();
            with_database(pg_url, name)
        }
        Kind::Sqlite => {
            // tmpfs unless durable: see the PostgreSQL branch.
            let shm = std::path::Path::new("/dev/shm");
            let dir = if !durable && shm.is_dir() {
                shm.to_path_buf()
            } else {
                std::env::temp_dir()
            };
            let path = dir.join(format!("{name}.db"));
            remove_sqlite(&path.display().to_string());
            format!("sqlite://{}", path.display())
        }
    };

    let db = Db::connect_single(&url).await.expect("strata connect");
    db.reset_schema::<BlogSchema>().await.expect("reset_schema");
    let mut categories = Vec::new();
    for name in ["rust", "sql", "orm", "databases", "performance"] {
        let c = Category::create()
            .name(name)
            .exec(&db)
            .await
            .expect("category");
        categories.push(c.id);
    }
    let mut authors = Vec::new();
    for i in 0..AUTHORS {
        let u = User::create()
            .email(format!("author{i}@example.com"))
            .name(format!("Author {i}"))
            .exec(&db)
            .await
            .expect("author");
        authors.push(u.id);
    }
    let writer = User::create()
        .email(WRITER)
        .name("Writer")
        .exec(&db)
        .await
        .expect("writer")
        .id;
    let now = now_micros();
    let posts = (0..POSTS).map(|i| {
        let published = i % 2 == 0;
        Post::create()
            .title(format!("Post {i}: notes on query builders"))
            .content((i % 5 != 0).then(|| format!("{CONTENT} ({i})")))
            .published(published)
            .status(if published {
                PostStatus::Published
            } else {
                PostStatus::Draft
            })
            .views(i as i64)
            .rating((i % 2 == 1).then_some((i % 50) as f64 / 10.0))
            .metadata(
                (i % 3 == 0).then(|| serde_json::json!({ "words": i * 7, "tags": ["a", "b"] })),
            )
            .author_id(&authors[i % AUTHORS])
            .category_id((i % 4 != 0).then_some(categories[i % categories.len()]))
            .published_at(published.then_some(now))
    });
    let inserted = Post::create_many(posts)
        .exec(&db)
        .await
        .expect("seed posts");
    assert_eq!(inserted as usize, POSTS);
    db.close().await;
    drop(db);

    // Fresh planner statistics, outside any timing.
    match kind {
        Kind::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("pg");
            sqlx::raw_sql("VACUUM ANALYZE")
                .execute(&mut conn)
                .await
                .expect("vacuum");
            conn.close().await.ok();
        }
        Kind::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect_with(&sqlite_options(&url))
                .await
                .expect("sqlite");
            sqlx::raw_sql("ANALYZE")
                .execute(&mut conn)
                .await
                .expect("analyze");
            conn.close().await.ok();
        }
    }

    check_sql(kind.dialect(), &writer);
    let fx = Fixture::open(kind, &url).await;
    assert_eq!((fx.post_ids.len(), fx.authors.len()), (POSTS, AUTHORS));
    verify(&fx).await;
    Some(fx)
}

impl Fixture {
    /// The fixture of a database [`setup_at`] seeded.
    pub async fn open(kind: Kind, url: &str) -> Fixture {
        let db = Db::connect(url).await.expect("strata connect");
        let post_ids: Vec<Uuid> = Post::find_many()
            .select(Post::id())
            .exec(&db)
            .await
            .expect("post ids");
        let users: Vec<(String, String)> = User::find_many()
            .select((User::id(), User::email()))
            .exec(&db)
            .await
            .expect("users");
        let writer = users
            .iter()
            .find(|(_, email)| email == WRITER)
            .expect("the writer")
            .0
            .clone();
        // In the order they were created: `author0@..`, `author1@..`.
        let mut authors: Vec<(usize, String)> = users
            .into_iter()
            .filter_map(|(id, email)| {
                let i = email.strip_prefix("author")?.strip_suffix("@example.com")?;
                Some((i.parse().ok()?, id))
            })
            .collect();
        authors.sort();
        let server_version = server_version(&db).await;
        db.close().await;
        Fixture {
            kind,
            sql: sql_for(kind.dialect()),
            url: url.to_owned(),
            post_ids,
            authors: authors.into_iter().map(|(_, id)| id).collect(),
            writer,
            titles: (0..4096).map(|i| format!("Benchmark post {i}")).collect(),
            server_version,
        }
    }
}

/// The server's (or library's) version.
async fn server_version(db: &Db) -> String {
    match (db.as_postgres(), db.as_sqlite()) {
        (Some(pool), _) => sqlx::query_scalar("SHOW server_version")
            .fetch_one(pool)
            .await
            .expect("server_version"),
        (_, Some(pool)) => sqlx::query_scalar("SELECT sqlite_version()")
            .fetch_one(pool)
            .await
            .expect("sqlite_version"),
        _ => "unknown".into(),
    }
}

/// Deletes a SQLite database file and its WAL files.
pub fn remove_sqlite(path: &str) {
    let path = path.trim_start_matches("sqlite://");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
}

/// Both sides read the same rows: a point query and the two `find_many` cases.
async fn verify(fx: &Fixture) {
    let db = Db::connect_single(&fx.url).await.expect("strata");
    let id = fx.post_id(7);
    let strata_row = Post::find_unique(Post::by_id(id))
        .exec(&db)
        .await
        .unwrap()
        .expect("row");
    let author = fx.author(3);
    let strata_100 = Post::find_many()
        .filter(Post::author_id().eq(author))
        .exec(&db)
        .await
        .unwrap();
    let strata_all = Post::find_many().exec(&db).await.unwrap();
    let (one, hundred, all): (Fields, Vec<Fields>, usize) = match fx.kind {
        Kind::Postgres => {
            let mut c = sqlx::PgConnection::connect(&fx.url).await.unwrap();
            let one: PgPost = sqlx::query_as(fx.sql.find_by_id)
                .bind(id)
                .fetch_one(&mut c)
                .await
                .unwrap();
            let hundred: Vec<PgPost> = sqlx::query_as(fx.sql.find_many_filtered)
                .bind(author)
                .fetch_all(&mut c)
                .await
                .unwrap();
            let all: Vec<PgPost> = sqlx::query_as(fx.sql.find_many_all)
                .fetch_all(&mut c)
                .await
                .unwrap();
            let hundred = hundred.iter().map(Fields::from).collect();
            ((&one).into(), hundred, all.len())
        }
        Kind::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect_with(&sqlite_options(&fx.url))
                .await
                .unwrap();
            let one: SqlitePost = sqlx::query_as(fx.sql.find_by_id)
                .bind(id.hyphenated())
                .fetch_one(&mut c)
                .await
                .unwrap();
            let hundred: Vec<SqlitePost> = sqlx::query_as(fx.sql.find_many_filtered)
                .bind(author)
                .fetch_all(&mut c)
                .await
                .unwrap();
            let all: Vec<SqlitePost> = sqlx::query_as(fx.sql.find_many_all)
                .fetch_all(&mut c)
                .await
                .unwrap();
            let hundred = hundred.iter().map(Fields::from).collect();
            ((&one).into(), hundred, all.len())
        }
    };
    assert_eq!(Fields::from(&strata_row), one, "find by id: same row");
    assert_eq!(
        strata_100.len(),
        POSTS / AUTHORS,
        "the filter matches 100 rows"
    );
    let strata_100: Vec<Fields> = strata_100.iter().map(Fields::from).collect();
    assert_eq!(strata_100, hundred, "find_many filtered: same rows");
    assert_eq!((strata_all.len(), all), (POSTS, POSTS), "find_many all");
    db.close().await;
}

/// Deletes what the create cases wrote, after every batch (untimed).
pub async fn cleanup_for(fx: &Arc<Fixture>) -> Cleanup {
    let writer = fx.writer.clone();
    match fx.kind {
        Kind::Postgres => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(&fx.url)
                .await
                .unwrap();
            Box::new(move || -> BoxFuture<'static, ()> {
                let (pool, writer) = (pool.clone(), writer.clone());
                Box::pin(async move {
                    sqlx::query(r#"DELETE FROM "posts" WHERE "author_id" = $1"#)
                        .bind(writer)
                        .execute(&pool)
                        .await
                        .unwrap();
                })
            })
        }
        Kind::Sqlite => {
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(sqlite_options(&fx.url))
                .await
                .unwrap();
            Box::new(move || -> BoxFuture<'static, ()> {
                let (pool, writer) = (pool.clone(), writer.clone());
                Box::pin(async move {
                    sqlx::query(r#"DELETE FROM "posts" WHERE "author_id" = ?"#)
                        .bind(writer)
                        .execute(&pool)
                        .await
                        .unwrap();
                })
            })
        }
    }
}
