//! strata vs hand-written sqlx, on PostgreSQL and SQLite, interleaved in rounds.
//!
//!     cargo bench -p strata-bench                       # everything (~3-5 min)
//!     cargo bench -p strata-bench -- 'postgres/pool'    # a filter on the case path
//!
//! For each database x connection strategy x tokio runtime flavor x case, strata
//! and sqlx alternate in rounds (see `strata_bench::compare`). The sqlx side runs
//! the SAME SQL text strata renders (written out by hand below and checked against
//! strata's rendering at startup), with `query_as` into `#[derive(sqlx::FromRow)]`
//! structs, binding the same values, on the same kind of connection:
//!
//! - single connection: `Db::connect_single` vs a `PgConnection`/`SqliteConnection`;
//! - pool: `Db::connect` (strata's default `PoolOptions`) vs a `sqlx::Pool` built
//!   with the same settings.
//!
//! A "facts" comparison per database and runtime measures a point query through
//! sqlx's default pool, a pool without `test_before_acquire`, a single connection,
//! and strata's two strategies, for choosing strata's defaults.
//!
//! Knobs (environment): STRATA_BENCH_PG_URL (default
//! postgres://postgres@127.0.0.1:5432/postgres; the bench drops and recreates the
//! database `strata_bench` there), STRATA_BENCH_DBS (postgres,sqlite),
//! STRATA_BENCH_RUNTIMES (current-thread,multi-thread), STRATA_BENCH_ROUNDS (30),
//! STRATA_BENCH_BATCH_MS (20), STRATA_BENCH_FILTER (substring of the case path; a
//! positional argument works too), STRATA_BENCH_REPORT (also write the markdown
//! report to this file), STRATA_BENCH_ONLY (run only the contender with this
//! exact name, e.g. `strata` or `sqlx`, and report nothing: for `perf record`),
//! STRATA_BENCH_DURABLE=1 (commits wait for the disk; by
//! default the bench database has synchronous_commit = off and the SQLite file
//! is on tmpfs, so a ~4 ms fsync does not drown the client-side difference).

use chrono::{DateTime, DurationRound, SecondsFormat, TimeDelta, Utc};
use schema_examples::blog::{BlogSchema, Category, Post, PostStatus, User};
use sqlx::postgres::{PgConnectOptions, Postgres};
use sqlx::sqlite::{Sqlite, SqliteConnectOptions, SqliteJournalMode};
use sqlx::Connection as _;
use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata::render::render;
use strata::{increment, Db, Dialect, IntoCreate as _};
use strata_bench::{compare, timed, versus, BoxFuture, Cleanup, Contender, Measured, Settings};
use uuid::Uuid;

/// Rows per `create_many` case.
const MANY: usize = 100;
/// Seeded posts: `find_many` of all of them is the 10,000-row case.
const POSTS: usize = 10_000;
/// Seeded authors; each has `POSTS / AUTHORS` = 100 posts, the filtered case.
const AUTHORS: usize = 100;
const CONTENT: &str = "Benchmarks compare strata with hand-written sqlx on the same SQL, \
    the same connection strategy and the same runtime, interleaved in rounds.";

// ---------------------------------------------------------------------------
// The hand-written SQL. Checked against strata's rendering at startup.

macro_rules! post_columns {
    () => {
        r#""id", "title", "content", "published", "status", "views", "rating", "metadata", "author_id", "category_id", "published_at", "created_at""#
    };
}
macro_rules! insert_columns {
    () => {
        r#"INSERT INTO "posts" ("id", "title", "content", "published", "author_id", "created_at") VALUES "#
    };
}

/// The statements of one dialect.
#[derive(Debug, Clone, Copy)]
struct Sql {
    find_by_id: &'static str,
    find_many_filtered: &'static str,
    find_many_all: &'static str,
    create: &'static str,
    /// `create_many` of `MANY` rows: generated, `MANY_COLUMNS` per row.
    create_many: &'static str,
    /// The same without the explicit NULL columns (not strata's SQL: shows what
    /// the explicit NULLs cost).
    create_many_narrow: &'static str,
    update_by_id: &'static str,
}

const PG_SQL: Sql = Sql {
    find_by_id: concat!(
        "SELECT ",
        post_columns!(),
        r#" FROM "posts" WHERE "id" = $1"#
    ),
    find_many_filtered: concat!(
        "SELECT ",
        post_columns!(),
        r#" FROM "posts" WHERE "author_id" = $1"#
    ),
    find_many_all: concat!("SELECT ", post_columns!(), r#" FROM "posts""#),
    create: concat!(
        insert_columns!(),
        "($1, $2, $3, $4, $5, $6) RETURNING ",
        post_columns!()
    ),
    create_many: "",
    create_many_narrow: "",
    update_by_id: concat!(
        r#"UPDATE "posts" SET "views" = "views" + $1 WHERE "id" = $2 RETURNING "#,
        post_columns!()
    ),
};

const SQLITE_SQL: Sql = Sql {
    find_by_id: concat!(
        "SELECT ",
        post_columns!(),
        r#" FROM "posts" WHERE "id" = ?"#
    ),
    find_many_filtered: concat!(
        "SELECT ",
        post_columns!(),
        r#" FROM "posts" WHERE "author_id" = ?"#
    ),
    find_many_all: concat!("SELECT ", post_columns!(), r#" FROM "posts""#),
    create: concat!(
        insert_columns!(),
        "(?, ?, ?, ?, ?, ?) RETURNING ",
        post_columns!()
    ),
    create_many: "",
    create_many_narrow: "",
    update_by_id: concat!(
        r#"UPDATE "posts" SET "views" = "views" + ? WHERE "id" = ? RETURNING "#,
        post_columns!()
    ),
};

/// The columns strata's `create_many` writes for the bench's rows: the four set,
/// `id` and `created_at` filled in by strata, and the nullable columns without a
/// default sent as explicit NULLs so every row shares one column list.
const MANY_COLUMNS: [&str; 10] = [
    "id",
    "title",
    "content",
    "published",
    "rating",
    "metadata",
    "author_id",
    "category_id",
    "published_at",
    "created_at",
];
/// The same rows without the explicit NULLs: what `create` writes.
const NARROW_COLUMNS: [&str; 6] = [
    "id",
    "title",
    "content",
    "published",
    "author_id",
    "created_at",
];

/// `INSERT INTO "posts" (columns) VALUES (..), (..)` for `rows` rows, as strata
/// writes it.
fn insert_sql(dialect: Dialect, columns: &[&str], rows: usize) -> &'static str {
    let mut sql = String::from(r#"INSERT INTO "posts" ("#);
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        write!(sql, "\"{c}\"").unwrap();
    }
    sql.push_str(") VALUES ");
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for col in 0..columns.len() {
            if col > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match dialect {
                Dialect::Postgres => write!(sql, "${n}").unwrap(),
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    // Leaked once at startup: hand-written sqlx code passes `&'static str`.
    sql.leak()
}

fn sql_for(dialect: Dialect) -> Sql {
    let mut sql = match dialect {
        Dialect::Postgres => PG_SQL,
        _ => SQLITE_SQL,
    };
    sql.create_many = insert_sql(dialect, &MANY_COLUMNS, MANY);
    sql.create_many_narrow = insert_sql(dialect, &NARROW_COLUMNS, MANY);
    sql
}

/// Panics unless strata renders exactly the hand-written SQL with `binds` values,
/// so both sides run the same statements.
fn check_sql(dialect: Dialect, fx_writer: &str) {
    let sql = sql_for(dialect);
    let id = Uuid::new_v4();
    let same = |case: &str, hand: &str, rendered: strata::render::Rendered, binds: usize| {
        assert_eq!(
            hand, rendered.sql,
            "{dialect:?} {case}: the hand-written SQL differs from strata's rendering"
        );
        assert_eq!(
            rendered.binds.len(),
            binds,
            "{dialect:?} {case}: bind count"
        );
    };
    same(
        "find by id",
        sql.find_by_id,
        render(&Post::find_unique(Post::by_id(id)).statement(), dialect),
        1,
    );
    let filtered = Post::find_many().filter(Post::author_id().eq(fx_writer));
    same(
        "find_many filtered",
        sql.find_many_filtered,
        render(&filtered.statement().unwrap(), dialect),
        1,
    );
    same(
        "find_many all",
        sql.find_many_all,
        render(&Post::find_many().statement().unwrap(), dialect),
        0,
    );
    let create = strata_create("title", fx_writer).into_create().statement();
    same("create", sql.create, render(&create, dialect), 6);
    let many = Post::create_many((0..MANY).map(|_| strata_create("title", fx_writer)));
    let statements = many.statements(dialect);
    assert_eq!(statements.len(), 1, "create_many {MANY} is one INSERT");
    same(
        "create_many",
        sql.create_many,
        render(&statements[0], dialect),
        MANY_COLUMNS.len() * MANY,
    );
    same(
        "update by id",
        sql.update_by_id,
        render(&update_statement(id), dialect),
        2,
    );
}

/// The create both sides run: 4 values set, `id` (uuid) and `created_at` (now)
/// filled in by strata, the rest left to column defaults.
fn strata_create(title: &str, author: &str) -> impl strata::IntoCreate<Post> {
    Post::create()
        .title(title)
        .content(CONTENT)
        .published(true)
        .author_id(author)
}

/// The statement `Post::update(Post::by_id(id)).views(increment(1))` runs (the
/// generated builder does not expose it).
fn update_statement(id: Uuid) -> strata::query::ast::Statement {
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

/// The current time to microseconds, as strata writes `now` defaults.
fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}

// ---------------------------------------------------------------------------
// Hand-written sqlx rows.

#[derive(sqlx::Type, Debug, Clone, Copy, PartialEq, Eq)]
#[sqlx(type_name = "post_status", rename_all = "UPPERCASE")]
enum Status {
    Draft,
    Published,
    Archived,
}

#[derive(sqlx::FromRow, Debug)]
struct PgPost {
    id: Uuid,
    title: String,
    content: Option<String>,
    published: bool,
    status: Status,
    views: i64,
    rating: Option<f64>,
    metadata: Option<serde_json::Value>,
    author_id: String,
    category_id: Option<i32>,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

/// SQLite stores uuids as hyphenated text (strata's mapping).
#[derive(sqlx::FromRow, Debug)]
struct SqlitePost {
    id: uuid::fmt::Hyphenated,
    title: String,
    content: Option<String>,
    published: bool,
    status: Status,
    views: i64,
    rating: Option<f64>,
    metadata: Option<serde_json::Value>,
    author_id: String,
    category_id: Option<i32>,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

/// The fields both sides read, to check they read the same rows.
#[derive(Debug, PartialEq)]
struct Fields {
    id: Uuid,
    title: String,
    content: Option<String>,
    published: bool,
    status: &'static str,
    views: i64,
    rating: Option<f64>,
    metadata: Option<serde_json::Value>,
    author_id: String,
    category_id: Option<i32>,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Draft => "Draft",
        Status::Published => "Published",
        Status::Archived => "Archived",
    }
}

impl From<&Post> for Fields {
    fn from(p: &Post) -> Fields {
        Fields {
            id: p.id,
            title: p.title.clone(),
            content: p.content.clone(),
            published: p.published,
            status: match p.status {
                PostStatus::Draft => "Draft",
                PostStatus::Published => "Published",
                PostStatus::Archived => "Archived",
            },
            views: p.views,
            rating: p.rating,
            metadata: p.metadata.clone(),
            author_id: p.author_id.clone(),
            category_id: p.category_id,
            published_at: p.published_at,
            created_at: p.created_at,
        }
    }
}

macro_rules! fields_from_sqlx {
    ($ty:ty, |$id:ident| $to_uuid:expr) => {
        impl From<&$ty> for Fields {
            fn from(p: &$ty) -> Fields {
                let $id = p.id;
                Fields {
                    id: $to_uuid,
                    title: p.title.clone(),
                    content: p.content.clone(),
                    published: p.published,
                    status: status_name(p.status),
                    views: p.views,
                    rating: p.rating,
                    metadata: p.metadata.clone(),
                    author_id: p.author_id.clone(),
                    category_id: p.category_id,
                    published_at: p.published_at,
                    created_at: p.created_at,
                }
            }
        }
    };
}
fields_from_sqlx!(PgPost, |id| id);

/// A `PgPost`/`SqlitePost` decoded by column position, as strata decodes.
macro_rules! by_position {
    ($row:expr, $ty:ident) => {{
        use sqlx::Row as _;
        let r = &$row;
        Ok($ty {
            id: r.try_get(0)?,
            title: r.try_get(1)?,
            content: r.try_get(2)?,
            published: r.try_get(3)?,
            status: r.try_get(4)?,
            views: r.try_get(5)?,
            rating: r.try_get(6)?,
            metadata: r.try_get(7)?,
            author_id: r.try_get(8)?,
            category_id: r.try_get(9)?,
            published_at: r.try_get(10)?,
            created_at: r.try_get(11)?,
        })
    }};
}
fields_from_sqlx!(SqlitePost, |id| id.into_uuid());

// ---------------------------------------------------------------------------
// Cases, databases, strategies, runtimes.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    FindById,
    FindMany100,
    FindManyAll,
    Create,
    CreateMany,
    UpdateById,
}

impl Case {
    const ALL: [Case; 6] = [
        Case::FindById,
        Case::FindMany100,
        Case::FindManyAll,
        Case::Create,
        Case::CreateMany,
        Case::UpdateById,
    ];

    fn name(self) -> &'static str {
        match self {
            Case::FindById => "find by id",
            Case::FindMany100 => "find_many 100 rows (filter)",
            Case::FindManyAll => "find_many 10,000 rows",
            Case::Create => "create",
            Case::CreateMany => "create_many 100",
            Case::UpdateById => "update by id",
        }
    }

    fn writes_posts(self) -> bool {
        matches!(self, Case::Create | Case::CreateMany)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Postgres,
    Sqlite,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Postgres => "postgres",
            Kind::Sqlite => "sqlite",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Kind::Postgres => "PostgreSQL",
            Kind::Sqlite => "SQLite",
        }
    }
    fn dialect(self) -> Dialect {
        match self {
            Kind::Postgres => Dialect::Postgres,
            Kind::Sqlite => Dialect::Sqlite,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Single,
    Pool,
}

impl Strategy {
    fn name(self) -> &'static str {
        match self {
            Strategy::Single => "single",
            Strategy::Pool => "pool",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Strategy::Single => "single connection",
            Strategy::Pool => "pool (strata's default PoolOptions on both sides)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

impl Flavor {
    fn name(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "current-thread",
            Flavor::MultiThread => "multi-thread",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "current-thread runtime",
            Flavor::MultiThread => "multi-thread runtime, 2 workers",
        }
    }
    fn runtime(self) -> tokio::runtime::Runtime {
        match self {
            Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
            Flavor::MultiThread => {
                let mut b = tokio::runtime::Builder::new_multi_thread();
                b.worker_threads(2);
                b
            }
        }
        .enable_all()
        .build()
        .expect("tokio runtime")
    }
}

// ---------------------------------------------------------------------------
// Configuration.

#[derive(Debug, Clone)]
struct Config {
    pg_url: String,
    kinds: Vec<Kind>,
    flavors: Vec<Flavor>,
    filter: Option<String>,
    /// Only the contender with this exact name (for profiling one side with
    /// `perf`); such a run reports nothing.
    only: Option<String>,
    settings: Settings,
    report: Option<String>,
    /// Commits wait for the disk (PostgreSQL `synchronous_commit` on, the SQLite
    /// file on disk rather than tmpfs). Off by default: see `setup`.
    durable: bool,
}

impl Config {
    fn load() -> Config {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let list = |k: &str| env(k).map(|v| v.to_lowercase());
        let mut settings = Settings::default();
        if let Some(r) = env("STRATA_BENCH_ROUNDS") {
            settings.rounds = r.parse().expect("STRATA_BENCH_ROUNDS: a number");
        }
        if let Some(ms) = env("STRATA_BENCH_BATCH_MS") {
            settings.batch_target =
                Duration::from_millis(ms.parse().expect("STRATA_BENCH_BATCH_MS: a number"));
        }
        let kinds = match list("STRATA_BENCH_DBS") {
            None => vec![Kind::Postgres, Kind::Sqlite],
            Some(v) => [Kind::Postgres, Kind::Sqlite]
                .into_iter()
                .filter(|k| v.contains(k.name()) || (*k == Kind::Postgres && v.contains("pg")))
                .collect(),
        };
        let flavors = match list("STRATA_BENCH_RUNTIMES") {
            None => vec![Flavor::CurrentThread, Flavor::MultiThread],
            Some(v) => [Flavor::CurrentThread, Flavor::MultiThread]
                .into_iter()
                .filter(|f| v.contains(f.name()))
                .collect(),
        };
        // `cargo bench` passes `--bench`; a positional argument is a filter.
        let positional = std::env::args().skip(1).find(|a| !a.starts_with('-'));
        Config {
            pg_url: env("STRATA_BENCH_PG_URL")
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            kinds,
            flavors,
            filter: positional.or_else(|| env("STRATA_BENCH_FILTER")),
            only: env("STRATA_BENCH_ONLY"),
            settings,
            report: env("STRATA_BENCH_REPORT"),
            durable: env("STRATA_BENCH_DURABLE").is_some_and(|v| v != "0"),
        }
    }

    fn selected(&self, path: &str) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|f| path.contains(f.as_str()))
    }
}

// ---------------------------------------------------------------------------
// Data.

/// One seeded database, shared by every comparison on it.
#[derive(Debug)]
struct Fixture {
    kind: Kind,
    url: String,
    sql: Sql,
    post_ids: Vec<Uuid>,
    authors: Vec<String>,
    /// The author of every post the create cases write (deleted after each batch).
    writer: String,
    titles: Vec<String>,
    server_version: String,
}

impl Fixture {
    fn post_id(&self, k: usize) -> Uuid {
        self.post_ids[k % self.post_ids.len()]
    }
    fn author(&self, k: usize) -> &str {
        &self.authors[k % self.authors.len()]
    }
    fn title(&self, k: usize) -> &str {
        &self.titles[k % self.titles.len()]
    }
}

/// strata's SQLite connection settings (runtime/src/execute/pool.rs), for sqlx.
fn sqlite_options(url: &str) -> SqliteConnectOptions {
    SqliteConnectOptions::from_str(url)
        .expect("sqlite url")
        .create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5))
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
/// cannot be reached.
async fn setup(kind: Kind, cfg: &Config) -> Option<Fixture> {
    let (url, server_version) = match kind {
        Kind::Postgres => {
            let admin = PgConnectOptions::from_str(&cfg.pg_url).expect("STRATA_BENCH_PG_URL");
            let mut conn = match sqlx::PgConnection::connect_with(&admin).await {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("skipping PostgreSQL: cannot connect to {}: {e}", cfg.pg_url);
                    return None;
                }
            };
            sqlx::raw_sql("DROP DATABASE IF EXISTS strata_bench WITH (FORCE)")
                .execute(&mut conn)
                .await
                .expect("drop database strata_bench");
            sqlx::raw_sql("CREATE DATABASE strata_bench")
                .execute(&mut conn)
                .await
                .expect("create database strata_bench");
            if !cfg.durable {
                // A commit's fsync takes ~4 ms on this machine's disk and varies
                // a lot; it would drown the µs both sides spend in the client.
                // Both sides run the same statements, so neither gains from this.
                sqlx::raw_sql("ALTER DATABASE strata_bench SET synchronous_commit = off")
                    .execute(&mut conn)
                    .await
                    .expect("synchronous_commit");
            }
            let version: String = sqlx::query_scalar("SHOW server_version")
                .fetch_one(&mut conn)
                .await
                .expect("server_version");
            conn.close().await.ok();
            (with_database(&cfg.pg_url, "strata_bench"), version)
        }
        Kind::Sqlite => {
            // tmpfs unless durable: see the PostgreSQL branch.
            let shm = std::path::Path::new("/dev/shm");
            let dir = if !cfg.durable && shm.is_dir() {
                shm.to_path_buf()
            } else {
                std::env::temp_dir()
            };
            let path = dir.join(format!("strata-bench-{}.db", std::process::id()));
            remove_sqlite(&path.display().to_string());
            let url = format!("sqlite://{}", path.display());
            let mut conn = sqlx::SqliteConnection::connect_with(&sqlite_options(&url))
                .await
                .expect("sqlite");
            let version: String = sqlx::query_scalar("SELECT sqlite_version()")
                .fetch_one(&mut conn)
                .await
                .expect("sqlite_version");
            conn.close().await.ok();
            (url, version)
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
        .email("writer@example.com")
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
    let post_ids: Vec<Uuid> = Post::find_many()
        .select(Post::id())
        .exec(&db)
        .await
        .expect("post ids");
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
    let titles = (0..4096).map(|i| format!("Benchmark post {i}")).collect();
    let fx = Fixture {
        kind,
        sql: sql_for(kind.dialect()),
        url,
        post_ids,
        authors,
        writer,
        titles,
        server_version,
    };
    verify(&fx).await;
    Some(fx)
}

fn remove_sqlite(path: &str) {
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

// ---------------------------------------------------------------------------
// Contenders.

/// strata on a `Db` (pool or single connection).
struct StrataSide {
    db: Db,
    fx: Arc<Fixture>,
    case: Case,
    next: usize,
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

/// What the sqlx side runs: the hand-written code, or a variant that isolates
/// one difference from strata (extra contenders, reported separately).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// strata's SQL, as one statement (a single INSERT is atomic by itself).
    Plain,
    /// strata's SQL inside BEGIN .. COMMIT, as strata runs it.
    InTransaction,
    /// The INSERT without the explicit-NULL columns (not strata's SQL).
    Narrow,
    /// One row (a point query, or a write's RETURNING row) read through
    /// `fetch_all`, taking the first, as strata's `fetch_optional` does
    /// (instead of sqlx's `fetch_optional`/`fetch_one`).
    FetchAll,
    /// A point query in the shape of strata's sqlx call, without strata: an
    /// owned SQL string, arguments built by hand, `query_with(..).try_map(..)`
    /// decoding by position, `fetch_all`, first row.
    StrataShape,
}

/// A sqlx connection the way each strategy holds one.
enum Conn<DB: sqlx::Database> {
    Single(DB::Connection),
    Pool(sqlx::Pool<DB>),
}

/// Runs `$query.$method(executor)` on whichever connection `$conn` holds.
macro_rules! on {
    ($conn:expr, $query:ident . $method:ident) => {
        match $conn {
            Conn::Single(c) => $query.$method(&mut *c).await,
            Conn::Pool(p) => $query.$method(&*p).await,
        }
    };
}

/// Runs `$query.execute(..)` inside BEGIN .. COMMIT on `$conn`.
macro_rules! in_transaction {
    ($conn:expr, $query:ident) => {{
        let mut tx = match $conn {
            Conn::Single(c) => c.begin().await.unwrap(),
            Conn::Pool(p) => p.begin().await.unwrap(),
        };
        let done = $query.execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        done
    }};
}

/// Hand-written sqlx on PostgreSQL.
struct PgSqlx {
    conn: Conn<Postgres>,
    fx: Arc<Fixture>,
    case: Case,
    variant: Variant,
    next: usize,
}

impl Contender for PgSqlx {
    fn batch<'a>(&'a mut self, n: usize, out: &'a mut Vec<Duration>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let PgSqlx {
                conn,
                fx,
                case,
                variant,
                next,
            } = self;
            let fx = &**fx;
            let sql = fx.sql;
            match case {
                Case::FindById if *variant == Variant::StrataShape => timed!(n, out, |_i| {
                    *next += 1;
                    let mut args = sqlx::postgres::PgArguments::default();
                    sqlx::Arguments::add(&mut args, fx.post_id(*next)).unwrap();
                    let owned = sqlx::AssertSqlSafe(sql.find_by_id.to_owned());
                    let q = sqlx::query_with(owned, args)
                        .try_map(|r: sqlx::postgres::PgRow| by_position!(r, PgPost));
                    let rows = on!(&mut *conn, q.fetch_all).unwrap();
                    rows.into_iter().next().expect("row")
                }),
                Case::FindById if *variant == Variant::FetchAll => timed!(n, out, |_i| {
                    *next += 1;
                    let q = sqlx::query_as::<_, PgPost>(sql.find_by_id).bind(fx.post_id(*next));
                    let rows = on!(&mut *conn, q.fetch_all).unwrap();
                    rows.into_iter().next().expect("row")
                }),
                Case::FindById => timed!(n, out, |_i| {
                    *next += 1;
                    let q = sqlx::query_as::<_, PgPost>(sql.find_by_id).bind(fx.post_id(*next));
                    on!(&mut *conn, q.fetch_optional).unwrap().expect("row")
                }),
                Case::FindMany100 => timed!(n, out, |_i| {
                    *next += 1;
                    let q =
                        sqlx::query_as::<_, PgPost>(sql.find_many_filtered).bind(fx.author(*next));
                    on!(&mut *conn, q.fetch_all).unwrap()
                }),
                Case::FindManyAll => timed!(n, out, |_i| {
                    let q = sqlx::query_as::<_, PgPost>(sql.find_many_all);
                    on!(&mut *conn, q.fetch_all).unwrap()
                }),
                Case::Create => timed!(n, out, |_i| {
                    *next += 1;
                    let q = sqlx::query_as::<_, PgPost>(sql.create)
                        .bind(Uuid::new_v4())
                        .bind(fx.title(*next))
                        .bind(CONTENT)
                        .bind(true)
                        .bind(fx.writer.as_str())
                        .bind(now_micros());
                    if *variant == Variant::FetchAll {
                        let rows = on!(&mut *conn, q.fetch_all).unwrap();
                        rows.into_iter().next().expect("row")
                    } else {
                        on!(&mut *conn, q.fetch_one).unwrap()
                    }
                }),
                Case::CreateMany => timed!(n, out, |_i| {
                    *next += 1;
                    let base = *next * MANY;
                    let narrow = *variant == Variant::Narrow;
                    let text = if narrow {
                        sql.create_many_narrow
                    } else {
                        sql.create_many
                    };
                    let mut q = sqlx::query(text);
                    for j in 0..MANY {
                        q = q
                            .bind(Uuid::new_v4())
                            .bind(fx.title(base + j))
                            .bind(CONTENT)
                            .bind(true);
                        if !narrow {
                            // PostgreSQL checks a NULL's type: typed like the columns.
                            q = q.bind(None::<f64>).bind(None::<serde_json::Value>);
                        }
                        q = q.bind(fx.writer.as_str());
                        if !narrow {
                            q = q.bind(None::<i32>).bind(None::<DateTime<Utc>>);
                        }
                        q = q.bind(now_micros());
                    }
                    let done = if *variant == Variant::InTransaction {
                        in_transaction!(&mut *conn, q)
                    } else {
                        on!(&mut *conn, q.execute).unwrap()
                    };
                    debug_assert_eq!(done.rows_affected() as usize, MANY);
                    done
                }),
                Case::UpdateById => timed!(n, out, |_i| {
                    *next += 1;
                    let q = sqlx::query_as::<_, PgPost>(sql.update_by_id)
                        .bind(1i64)
                        .bind(fx.post_id(*next));
                    if *variant == Variant::FetchAll {
                        let rows = on!(&mut *conn, q.fetch_all).unwrap();
                        rows.into_iter().next().expect("row")
                    } else {
                        on!(&mut *conn, q.fetch_optional).unwrap().expect("row")
                    }
                }),
            }
        })
    }
}

/// Hand-written sqlx on SQLite: uuids bound as hyphenated text and instants as
/// RFC 3339 text with fixed microseconds, as strata stores them.
struct SqliteSqlx {
    conn: Conn<Sqlite>,
    fx: Arc<Fixture>,
    case: Case,
    variant: Variant,
    next: usize,
}

fn sqlite_instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Contender for SqliteSqlx {
    fn batch<'a>(&'a mut self, n: usize, out: &'a mut Vec<Duration>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let SqliteSqlx {
                conn,
                fx,
                case,
                variant,
                next,
            } = self;
            let fx = &**fx;
            let sql = fx.sql;
            match case {
                Case::FindById if *variant == Variant::StrataShape => timed!(n, out, |_i| {
                    *next += 1;
                    let mut args = sqlx::sqlite::SqliteArguments::default();
                    sqlx::Arguments::add(&mut args, fx.post_id(*next).hyphenated()).unwrap();
                    let owned = sqlx::AssertSqlSafe(sql.find_by_id.to_owned());
                    let q = sqlx::query_with(owned, args)
                        .try_map(|r: sqlx::sqlite::SqliteRow| by_position!(r, SqlitePost));
                    let rows = on!(&mut *conn, q.fetch_all).unwrap();
                    rows.into_iter().next().expect("row")
                }),
                Case::FindById if *variant == Variant::FetchAll => timed!(n, out, |_i| {
                    *next += 1;
                    let q = sqlx::query_as::<_, SqlitePost>(sql.find_by_id)
                        .bind(fx.post_id(*next).hyphenated());
                    let rows = on!(&mut *conn, q.fetch_all).unwrap();
                    rows.into_iter().next().expect("row")
                }),
                Case::FindById => timed!(n, out, |_i| {
                    *next += 1;
                    let q = sqlx::query_as::<_, SqlitePost>(sql.find_by_id)
                        .bind(fx.post_id(*next).hyphenated());
                    on!(&mut *conn, q.fetch_optional).unwrap().expect("row")
                }),
                Case::FindMany100 => timed!(n, out, |_i| {
                    *next += 1;
                    let q = sqlx::query_as::<_, SqlitePost>(sql.find_many_filtered)
                        .bind(fx.author(*next));
                    on!(&mut *conn, q.fetch_all).unwrap()
                }),
                Case::FindManyAll => timed!(n, out, |_i| {
                    let q = sqlx::query_as::<_, SqlitePost>(sql.find_many_all);
                    on!(&mut *conn, q.fetch_all).unwrap()
                }),
                Case::Create => timed!(n, out, |_i| {
                    *next += 1;
                    let q = sqlx::query_as::<_, SqlitePost>(sql.create)
                        .bind(Uuid::new_v4().hyphenated())
                        .bind(fx.title(*next))
                        .bind(CONTENT)
                        .bind(true)
                        .bind(fx.writer.as_str())
                        .bind(sqlite_instant(now_micros()));
                    if *variant == Variant::FetchAll {
                        let rows = on!(&mut *conn, q.fetch_all).unwrap();
                        rows.into_iter().next().expect("row")
                    } else {
                        on!(&mut *conn, q.fetch_one).unwrap()
                    }
                }),
                Case::CreateMany => timed!(n, out, |_i| {
                    *next += 1;
                    let base = *next * MANY;
                    let narrow = *variant == Variant::Narrow;
                    let text = if narrow {
                        sql.create_many_narrow
                    } else {
                        sql.create_many
                    };
                    let mut q = sqlx::query(text);
                    for j in 0..MANY {
                        q = q
                            .bind(Uuid::new_v4().hyphenated())
                            .bind(fx.title(base + j))
                            .bind(CONTENT)
                            .bind(true);
                        if !narrow {
                            q = q.bind(None::<f64>).bind(None::<String>);
                        }
                        q = q.bind(fx.writer.as_str());
                        if !narrow {
                            q = q.bind(None::<i32>).bind(None::<String>);
                        }
                        q = q.bind(sqlite_instant(now_micros()));
                    }
                    let done = if *variant == Variant::InTransaction {
                        in_transaction!(&mut *conn, q)
                    } else {
                        on!(&mut *conn, q.execute).unwrap()
                    };
                    debug_assert_eq!(done.rows_affected() as usize, MANY);
                    done
                }),
                Case::UpdateById => timed!(n, out, |_i| {
                    *next += 1;
                    let q = sqlx::query_as::<_, SqlitePost>(sql.update_by_id)
                        .bind(1i64)
                        .bind(fx.post_id(*next).hyphenated());
                    if *variant == Variant::FetchAll {
                        let rows = on!(&mut *conn, q.fetch_all).unwrap();
                        rows.into_iter().next().expect("row")
                    } else {
                        on!(&mut *conn, q.fetch_optional).unwrap().expect("row")
                    }
                }),
            }
        })
    }
}

/// How a sqlx contender connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SqlxConn {
    Single,
    /// `sqlx::pool::PoolOptions` with the values of `strata::PoolOptions::default()`.
    PoolLikeStrata,
    /// `sqlx::pool::PoolOptions::new()`: sqlx's defaults (`test_before_acquire` on).
    PoolSqlxDefaults,
    /// sqlx's defaults with `test_before_acquire(false)`.
    PoolNoTest,
}

fn pool_options<DB: sqlx::Database>(how: SqlxConn) -> sqlx::pool::PoolOptions<DB> {
    match how {
        SqlxConn::PoolLikeStrata => {
            let o = strata::PoolOptions::default();
            sqlx::pool::PoolOptions::new()
                .max_connections(o.max_connections)
                .min_connections(o.min_connections)
                .acquire_timeout(o.acquire_timeout)
                .idle_timeout(o.idle_timeout)
                .max_lifetime(o.max_lifetime)
                .test_before_acquire(o.test_before_acquire)
        }
        SqlxConn::PoolNoTest => sqlx::pool::PoolOptions::new().test_before_acquire(false),
        SqlxConn::PoolSqlxDefaults | SqlxConn::Single => sqlx::pool::PoolOptions::new(),
    }
}

async fn sqlx_contender(
    fx: &Arc<Fixture>,
    how: SqlxConn,
    case: Case,
    variant: Variant,
) -> Box<dyn Contender> {
    match fx.kind {
        Kind::Postgres => {
            let options = PgConnectOptions::from_str(&fx.url).unwrap();
            let conn = match how {
                SqlxConn::Single => {
                    Conn::Single(sqlx::PgConnection::connect_with(&options).await.unwrap())
                }
                _ => Conn::Pool(pool_options(how).connect_with(options).await.unwrap()),
            };
            Box::new(PgSqlx {
                conn,
                fx: fx.clone(),
                case,
                variant,
                next: 0,
            })
        }
        Kind::Sqlite => {
            let options = sqlite_options(&fx.url);
            let conn = match how {
                SqlxConn::Single => Conn::Single(
                    sqlx::SqliteConnection::connect_with(&options)
                        .await
                        .unwrap(),
                ),
                _ => Conn::Pool(pool_options(how).connect_with(options).await.unwrap()),
            };
            Box::new(SqliteSqlx {
                conn,
                fx: fx.clone(),
                case,
                variant,
                next: 0,
            })
        }
    }
}

async fn strata_contender(fx: &Arc<Fixture>, strategy: Strategy, case: Case) -> Box<dyn Contender> {
    let db = match strategy {
        Strategy::Single => Db::connect_single(&fx.url).await.unwrap(),
        Strategy::Pool => Db::connect(&fx.url).await.unwrap(),
    };
    Box::new(StrataSide {
        db,
        fx: fx.clone(),
        case,
        next: 0,
    })
}

/// Deletes what the create cases wrote, after every batch (untimed).
async fn cleanup_for(fx: &Arc<Fixture>) -> Cleanup {
    let writer = fx.writer.clone();
    match fx.kind {
        Kind::Postgres => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(&fx.url)
                .await
                .unwrap();
            Box::new(move || {
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
            Box::new(move || {
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

// ---------------------------------------------------------------------------
// Running.

/// One comparison's results. `measured[0]` is the baseline.
#[derive(Debug, Clone)]
struct Outcome {
    kind: Kind,
    /// `None` for the pool-vs-connection facts.
    strategy: Option<Strategy>,
    flavor: Flavor,
    case: Case,
    n: usize,
    measured: Vec<Measured>,
}

/// `compare`, or with STRATA_BENCH_ONLY only the matching contenders and no
/// results (a profiling run).
async fn run_compare(
    cfg: &Config,
    contenders: &mut Vec<(String, Box<dyn Contender>)>,
    cleanup: Option<&mut Cleanup>,
) -> Option<(Vec<Measured>, usize)> {
    match &cfg.only {
        None => Some(compare(&cfg.settings, contenders, cleanup).await),
        Some(only) => {
            contenders.retain(|(name, _)| name == only);
            if !contenders.is_empty() {
                let (measured, _) = compare(&cfg.settings, contenders, cleanup).await;
                for m in measured {
                    eprintln!(
                        "{}: {} iterations, median {} µs, client CPU {} µs",
                        m.name,
                        m.samples.len(),
                        fmt_us(m.stats().median),
                        m.cpu_per_iteration().map_or("?".into(), fmt_us)
                    );
                }
            }
            None
        }
    }
}

async fn run_suite(fx: Arc<Fixture>, flavor: Flavor, cfg: Arc<Config>) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let prefix = format!("{}/", fx.kind.name());

    // Facts: one point query through every way of holding a connection.
    let path = format!("{prefix}facts/{}/point query", flavor.name());
    if cfg.selected(&path) {
        eprintln!("running {path}");
        let case = Case::FindById;
        let mut contenders: Vec<(String, Box<dyn Contender>)> = vec![
            (
                "sqlx single connection".into(),
                sqlx_contender(&fx, SqlxConn::Single, case, Variant::Plain).await,
            ),
            (
                "sqlx pool, sqlx defaults (test_before_acquire on)".into(),
                sqlx_contender(&fx, SqlxConn::PoolSqlxDefaults, case, Variant::Plain).await,
            ),
            (
                "sqlx pool, test_before_acquire(false)".into(),
                sqlx_contender(&fx, SqlxConn::PoolNoTest, case, Variant::Plain).await,
            ),
            (
                "strata Db::connect_single".into(),
                strata_contender(&fx, Strategy::Single, case).await,
            ),
            (
                "strata Db::connect (default PoolOptions)".into(),
                strata_contender(&fx, Strategy::Pool, case).await,
            ),
        ];
        let Some((measured, n)) = run_compare(&cfg, &mut contenders, None).await else {
            return outcomes;
        };
        outcomes.push(Outcome {
            kind: fx.kind,
            strategy: None,
            flavor,
            case,
            n,
            measured,
        });
    }

    for strategy in [Strategy::Single, Strategy::Pool] {
        for case in Case::ALL {
            let path = format!(
                "{prefix}{}/{}/{}",
                strategy.name(),
                flavor.name(),
                case.name()
            );
            if !cfg.selected(&path) {
                continue;
            }
            eprintln!("running {path}");
            let how = match strategy {
                Strategy::Single => SqlxConn::Single,
                Strategy::Pool => SqlxConn::PoolLikeStrata,
            };
            let mut contenders: Vec<(String, Box<dyn Contender>)> = vec![
                (
                    "sqlx".into(),
                    sqlx_contender(&fx, how, case, Variant::Plain).await,
                ),
                ("strata".into(), strata_contender(&fx, strategy, case).await),
            ];
            if case == Case::FindById {
                // Separates strata's own code from the shape of its sqlx call.
                contenders.push((
                    "sqlx in strata's call shape (owned SQL, try_map by position, fetch_all)"
                        .into(),
                    sqlx_contender(&fx, how, case, Variant::StrataShape).await,
                ));
            }
            if matches!(case, Case::FindById | Case::Create | Case::UpdateById) {
                // Attributes strata reading its one row through `fetch_all`.
                contenders.push((
                    "sqlx, fetch_all and take the first row".into(),
                    sqlx_contender(&fx, how, case, Variant::FetchAll).await,
                ));
            }
            if case == Case::CreateMany {
                // Attributes strata's BEGIN/COMMIT around its one INSERT.
                contenders.push((
                    "sqlx, the INSERT inside BEGIN/COMMIT".into(),
                    sqlx_contender(&fx, how, case, Variant::InTransaction).await,
                ));
                // Attributes the explicit NULLs strata sends for unset columns.
                contenders.push((
                    "sqlx, 6-column INSERT (unset columns left out)".into(),
                    sqlx_contender(&fx, how, case, Variant::Narrow).await,
                ));
            }
            let mut cleanup = if case.writes_posts() {
                Some(cleanup_for(&fx).await)
            } else {
                None
            };
            let Some((measured, n)) = run_compare(&cfg, &mut contenders, cleanup.as_mut()).await
            else {
                continue;
            };
            outcomes.push(Outcome {
                kind: fx.kind,
                strategy: Some(strategy),
                flavor,
                case,
                n,
                measured,
            });
        }
    }
    outcomes
}

// ---------------------------------------------------------------------------
// The cost of building and rendering each statement, without a database.

struct ClientCost {
    dialect: Dialect,
    case: Case,
    /// strata: the builder calls, the AST and `render` (binds are encoded for
    /// the driver later, while executing, and are not in this number).
    strata_ns: f64,
    /// sqlx: `query_as(..)` and its `.bind(..)` calls, which encode the values.
    sqlx_ns: f64,
}

/// The sqlx side's client work for `case`: build the query and bind (encode) its
/// values, as the timed loop does before executing.
// Built and dropped on purpose: only the client-side work is measured.
#[allow(unused_must_use)]
fn sqlx_build(dialect: Dialect, sql: Sql, case: Case, id: Uuid, writer: &str) -> usize {
    use std::hint::black_box;
    match (dialect, case) {
        (Dialect::Postgres, Case::FindById) => {
            black_box(sqlx::query_as::<Postgres, PgPost>(sql.find_by_id).bind(id));
        }
        (Dialect::Postgres, Case::FindMany100) => {
            black_box(sqlx::query_as::<Postgres, PgPost>(sql.find_many_filtered).bind(writer));
        }
        (Dialect::Postgres, Case::FindManyAll) => {
            black_box(sqlx::query_as::<Postgres, PgPost>(sql.find_many_all));
        }
        (Dialect::Postgres, Case::Create) => {
            black_box(
                sqlx::query_as::<Postgres, PgPost>(sql.create)
                    .bind(Uuid::new_v4())
                    .bind("Benchmark post")
                    .bind(CONTENT)
                    .bind(true)
                    .bind(writer)
                    .bind(now_micros()),
            );
        }
        (Dialect::Postgres, Case::CreateMany) => {
            let mut q = sqlx::query::<Postgres>(sql.create_many);
            for _ in 0..MANY {
                q = q
                    .bind(Uuid::new_v4())
                    .bind("Benchmark post")
                    .bind(CONTENT)
                    .bind(true)
                    .bind(None::<f64>)
                    .bind(None::<serde_json::Value>)
                    .bind(writer)
                    .bind(None::<i32>)
                    .bind(None::<DateTime<Utc>>)
                    .bind(now_micros());
            }
            black_box(q);
        }
        (Dialect::Postgres, Case::UpdateById) => {
            black_box(
                sqlx::query_as::<Postgres, PgPost>(sql.update_by_id)
                    .bind(1i64)
                    .bind(id),
            );
        }
        (_, Case::FindById) => {
            black_box(sqlx::query_as::<Sqlite, SqlitePost>(sql.find_by_id).bind(id.hyphenated()));
        }
        (_, Case::FindMany100) => {
            black_box(sqlx::query_as::<Sqlite, SqlitePost>(sql.find_many_filtered).bind(writer));
        }
        (_, Case::FindManyAll) => {
            black_box(sqlx::query_as::<Sqlite, SqlitePost>(sql.find_many_all));
        }
        (_, Case::Create) => {
            black_box(
                sqlx::query_as::<Sqlite, SqlitePost>(sql.create)
                    .bind(Uuid::new_v4().hyphenated())
                    .bind("Benchmark post")
                    .bind(CONTENT)
                    .bind(true)
                    .bind(writer)
                    .bind(sqlite_instant(now_micros())),
            );
        }
        (_, Case::CreateMany) => {
            let mut q = sqlx::query::<Sqlite>(sql.create_many);
            for _ in 0..MANY {
                q = q
                    .bind(Uuid::new_v4().hyphenated())
                    .bind("Benchmark post")
                    .bind(CONTENT)
                    .bind(true)
                    .bind(None::<f64>)
                    .bind(None::<String>)
                    .bind(writer)
                    .bind(None::<i32>)
                    .bind(None::<String>)
                    .bind(sqlite_instant(now_micros()));
            }
            black_box(q);
        }
        (_, Case::UpdateById) => {
            black_box(
                sqlx::query_as::<Sqlite, SqlitePost>(sql.update_by_id)
                    .bind(1i64)
                    .bind(id.hyphenated()),
            );
        }
    }
    0
}

/// strata's client work for `case` before executing: the builder calls, the AST
/// and the rendered SQL with its binds.
fn strata_build(dialect: Dialect, case: Case, id: Uuid, writer: &str) -> usize {
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

/// Client-side CPU per query without a database, strata and sqlx alternating:
/// the median over 15 rounds of each round's mean.
fn client_costs(writer: &str) -> Vec<ClientCost> {
    let mut costs = Vec::new();
    let id = Uuid::new_v4();
    for dialect in [Dialect::Postgres, Dialect::Sqlite] {
        let sql = sql_for(dialect);
        for case in Case::ALL {
            let iterations = if case == Case::CreateMany {
                200
            } else {
                20_000
            };
            let mut strata_rounds = Vec::new();
            let mut sqlx_rounds = Vec::new();
            for _ in 0..15 {
                let start = Instant::now();
                for _ in 0..iterations {
                    std::hint::black_box(strata_build(dialect, case, id, writer));
                }
                strata_rounds.push(start.elapsed().as_nanos() as f64 / iterations as f64);
                let start = Instant::now();
                for _ in 0..iterations {
                    std::hint::black_box(sqlx_build(dialect, sql, case, id, writer));
                }
                sqlx_rounds.push(start.elapsed().as_nanos() as f64 / iterations as f64);
            }
            costs.push(ClientCost {
                dialect,
                case,
                strata_ns: strata_bench::median_f64(&strata_rounds),
                sqlx_ns: strata_bench::median_f64(&sqlx_rounds),
            });
        }
    }
    costs
}

// ---------------------------------------------------------------------------
// Report.

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The client CPU per query as a table cell: only on the current-thread runtime,
/// where the contender's task never leaves the measuring thread.
fn fmt_cpu(m: &Measured, flavor: Flavor) -> String {
    match (flavor, m.cpu_per_iteration()) {
        (Flavor::CurrentThread, Some(cpu)) => fmt_us(cpu),
        _ => "–".into(),
    }
}

fn fmt_us(d: Duration) -> String {
    let v = us(d);
    if v >= 1000.0 {
        format!("{:.0}", v)
    } else {
        format!("{:.1}", v)
    }
}

/// `/proc/loadavg`'s first three fields: how busy the shared machine was.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn machine(fixtures: &[Arc<Fixture>], load_start: &str) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty =
        git(&["status", "--porcelain", "--", "runtime", "macros"]).is_some_and(|s| !s.is_empty());
    let mut s = String::new();
    writeln!(s, "- date: {} (UTC)", Utc::now().format("%Y-%m-%d %H:%M")).unwrap();
    writeln!(
        s,
        "- strata at commit {commit}{}",
        if dirty {
            " (with uncommitted changes in runtime/ or macros/)"
        } else {
            ""
        }
    )
    .unwrap();
    writeln!(
        s,
        "- CPU: {cpu}, {cores} cores available (nproc); Linux {kernel}"
    )
    .unwrap();
    writeln!(
        s,
        "- load average (1, 5, 15 min): {load_start} at the start of the run, {} at the end",
        loadavg()
    )
    .unwrap();
    for fx in fixtures {
        writeln!(s, "- {} {}", fx.kind.title(), fx.server_version).unwrap();
    }
    s
}

fn report(
    cfg: &Config,
    fixtures: &[Arc<Fixture>],
    outcomes: &[Outcome],
    renders: &[ClientCost],
    load_start: &str,
) -> String {
    let mut s = String::new();
    writeln!(s, "# strata vs hand-written sqlx\n").unwrap();
    s.push_str(&machine(fixtures, load_start));
    writeln!(
        s,
        "- settings: {} rounds per comparison, batches of ~{} ms per contender per round, order rotating each round",
        cfg.settings.rounds,
        cfg.settings.batch_target.as_millis()
    )
    .unwrap();
    writeln!(
        s,
        "- commits: {}",
        if cfg.durable {
            "durable (PostgreSQL synchronous_commit on; SQLite file on disk)"
        } else {
            "not waiting for the disk (PostgreSQL synchronous_commit = off on the bench database; SQLite file on tmpfs)"
        }
    )
    .unwrap();
    if let Some(f) = &cfg.filter {
        writeln!(s, "- filter: `{f}`").unwrap();
    }

    let mut misses = Vec::new();
    for kind in [Kind::Postgres, Kind::Sqlite] {
        for flavor in [Flavor::CurrentThread, Flavor::MultiThread] {
            let facts: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| o.kind == kind && o.flavor == flavor && o.strategy.is_none())
                .collect();
            for o in facts {
                writeln!(
                    s,
                    "\n## {} — point query by id through each connection strategy — {}\n",
                    kind.title(),
                    flavor.title()
                )
                .unwrap();
                writeln!(
                    s,
                    "{} iterations per contender ({} per batch).\n",
                    o.measured[0].samples.len(),
                    o.n
                )
                .unwrap();
                writeln!(
                    s,
                    "| contender | median µs | p99 µs | × sqlx single connection | per-round × | client CPU µs |"
                )
                .unwrap();
                writeln!(s, "|---|---:|---:|---:|---:|---:|").unwrap();
                for m in &o.measured {
                    let st = m.stats();
                    let v = versus(m, &o.measured[0]);
                    writeln!(
                        s,
                        "| {} | {} | {} | {:.2} | {:.2} | {} |",
                        m.name,
                        fmt_us(st.median),
                        fmt_us(st.p99),
                        v.ratio,
                        v.round_ratio,
                        fmt_cpu(m, flavor)
                    )
                    .unwrap();
                }
            }
            for strategy in [Strategy::Single, Strategy::Pool] {
                let rows: Vec<&Outcome> = outcomes
                    .iter()
                    .filter(|o| {
                        o.kind == kind && o.flavor == flavor && o.strategy == Some(strategy)
                    })
                    .collect();
                if rows.is_empty() {
                    continue;
                }
                writeln!(
                    s,
                    "\n## {} — {} — {}\n",
                    kind.title(),
                    strategy.title(),
                    flavor.title()
                )
                .unwrap();
                writeln!(
                    s,
                    "| case | n × rounds | strata median µs | strata p99 µs | sqlx median µs | sqlx p99 µs | ratio | per-round ratio | overhead µs | strata CPU µs | sqlx CPU µs |"
                )
                .unwrap();
                writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|").unwrap();
                let mut extras = Vec::new();
                for o in &rows {
                    let (sqlx, strata) = (&o.measured[0], &o.measured[1]);
                    let (a, b) = (strata.stats(), sqlx.stats());
                    let v = versus(strata, sqlx);
                    let flag = if v.ratio > 1.05 { " **>1.05**" } else { "" };
                    writeln!(
                        s,
                        "| {} | {} × {} | {} | {} | {} | {} | {:.3}{} | {:.3} | {:+.1} | {} | {} |",
                        o.case.name(),
                        o.n,
                        cfg.settings.rounds,
                        fmt_us(a.median),
                        fmt_us(a.p99),
                        fmt_us(b.median),
                        fmt_us(b.p99),
                        v.ratio,
                        flag,
                        v.round_ratio,
                        v.overhead_us,
                        fmt_cpu(strata, flavor),
                        fmt_cpu(sqlx, flavor)
                    )
                    .unwrap();
                    if v.ratio > 1.05 {
                        misses.push(format!(
                            "{} / {} / {} / {}: {:.3}× (per-round {:.3}×, {:+.1} µs)",
                            kind.title(),
                            strategy.name(),
                            flavor.name(),
                            o.case.name(),
                            v.ratio,
                            v.round_ratio,
                            v.overhead_us
                        ));
                    }
                    for extra in &o.measured[2..] {
                        extras.push((o.case, extra, sqlx, strata));
                    }
                }
                for (case, extra, sqlx, strata) in extras {
                    let e = extra.stats();
                    let v = versus(extra, sqlx);
                    let vs = versus(strata, extra);
                    writeln!(
                        s,
                        "\n{}: {} median {} µs, p99 {} µs, client CPU {} µs: {:.3}× plain sqlx ({:+.1} µs); strata is {:.3}× this ({:+.1} µs).",
                        case.name(),
                        extra.name,
                        fmt_us(e.median),
                        fmt_us(e.p99),
                        fmt_cpu(extra, flavor),
                        v.ratio,
                        v.overhead_us,
                        vs.ratio,
                        vs.overhead_us
                    )
                    .unwrap();
                }
            }
        }
    }

    if !renders.is_empty() {
        writeln!(
            s,
            "\n## Client-side work per query, without a database\n\n\
             strata: the builder calls, the AST and `render` (its binds are encoded for the \
             driver later, during execution, and are not included). sqlx: `query_as(..)` \
             with its `.bind(..)` calls, which encode the values. Median over 15 alternating \
             rounds of the mean per query, µs.\n"
        )
        .unwrap();
        writeln!(
            s,
            "| case | strata PostgreSQL | sqlx PostgreSQL | strata SQLite | sqlx SQLite |"
        )
        .unwrap();
        writeln!(s, "|---|---:|---:|---:|---:|").unwrap();
        for case in Case::ALL {
            let get = |d: Dialect| {
                renders
                    .iter()
                    .find(|r| r.dialect == d && r.case == case)
                    .map_or((f64::NAN, f64::NAN), |r| {
                        (r.strata_ns / 1000.0, r.sqlx_ns / 1000.0)
                    })
            };
            let (pg, lite) = (get(Dialect::Postgres), get(Dialect::Sqlite));
            writeln!(
                s,
                "| {} | {:.2} | {:.2} | {:.2} | {:.2} |",
                case.name(),
                pg.0,
                pg.1,
                lite.0,
                lite.1
            )
            .unwrap();
        }
    }

    writeln!(s, "\n## Cases over 1.05×\n").unwrap();
    if misses.is_empty() {
        writeln!(s, "None.").unwrap();
    }
    for m in misses {
        writeln!(s, "- {m}").unwrap();
    }
    s
}

fn main() {
    let cfg = Arc::new(Config::load());
    let started = Instant::now();
    let load_start = loadavg();
    eprintln!("load average at the start: {load_start}");
    let mut fixtures = Vec::new();
    let mut outcomes = Vec::new();
    for kind in cfg.kinds.clone() {
        let setup_rt = Flavor::CurrentThread.runtime();
        eprintln!("seeding {}", kind.title());
        let Some(fx) = setup_rt.block_on(setup(kind, &cfg)) else {
            continue;
        };
        drop(setup_rt);
        let fx = Arc::new(fx);
        for flavor in cfg.flavors.clone() {
            let rt = flavor.runtime();
            // Spawned, so on the multi-thread runtime the loop runs on a worker
            // like a server's request handlers.
            let task = rt.spawn(run_suite(fx.clone(), flavor, cfg.clone()));
            outcomes.extend(rt.block_on(task).expect("suite"));
            // Pools' background tasks end with the runtime.
            drop(rt);
        }
        fixtures.push(fx);
    }
    let renders = if cfg.selected("client") || cfg.filter.is_none() {
        eprintln!("running client-side costs");
        client_costs("writer-id")
    } else {
        Vec::new()
    };
    let text = report(&cfg, &fixtures, &outcomes, &renders, &load_start);
    println!("{text}");
    println!("(total {:.0} s)", started.elapsed().as_secs_f64());
    if let Some(path) = &cfg.report {
        std::fs::write(path, &text).expect("STRATA_BENCH_REPORT");
    }
    for fx in &fixtures {
        if fx.kind == Kind::Sqlite {
            remove_sqlite(&fx.url);
        }
    }
}
