//! diesel_bench's "medium complex query" (users LEFT JOIN posts, filtered on a
//! user column) and the same join grouped per user, as strata's select
//! builder against hand-written sqlx, on PostgreSQL and SQLite.
//!
//! Cases, each at 100 and 1,000 users (half of them named "black", half
//! "brown", as diesel_bench's hair colours; user `i` wrote `i % 3` posts, so
//! a third of the rows have no post and read NULLs):
//! - `medium`: `SELECT users.id, users.email, users.name, posts.title,
//!   posts.views, posts.published FROM users LEFT JOIN posts ON .. WHERE
//!   users.name = $1` (every user's columns and its posts', `Option`s on the
//!   post side);
//! - `grouped`: the same join `GROUP BY users.id, users.email` with
//!   `COUNT(posts.id)` and `SUM(posts.views)`, ordered by `users.id`.
//!
//! The sqlx side runs the SQL below, written by hand and checked at startup
//! against strata's rendering, with `query_as` into tuples (positional, as
//! strata decodes), binding the same value. Both sides use one connection
//! (`Db::connect_single` vs a `PgConnection`/`SqliteConnection` with strata's
//! SQLite settings) on a current-thread runtime, alternate in rounds with the
//! first contender rotating (`strata_bench::compare`), and are pinned to one
//! CPU with the PostgreSQL backends (`strata_bench::pin`), as in `vs_sqlx`;
//! each comparison runs in two halves on fresh connections, the second
//! connecting sqlx first, and the ratios are combined (`strata_bench::combine`).
//! strata's time includes building the query and rendering it on every
//! iteration.
//!
//!     cargo bench -p strata-bench --bench medium_query
//!
//! Knobs: STRATA_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres;
//! the database `strata_bench_medium` is dropped and recreated there),
//! STRATA_BENCH_DBS (postgres,sqlite), STRATA_BENCH_ROUNDS (30),
//! STRATA_BENCH_PIN=0 (no pinning).

use schema_examples::blog::{BlogSchema, Post, User};
use sqlx::{Connection, PgConnection, SqliteConnection};
use std::time::Duration;
use strata::dsl::*;
use strata::{Db, Dialect, ToSql};
use strata_bench::medium::{self, MediumRow, MEDIUM_PG, MEDIUM_SQLITE};
use strata_bench::pin::{Pinned, PinnedBackends};
use strata_bench::vs_sqlx::fixture::{remove_sqlite, sqlite_options};
use strata_bench::{
    combine, compare, versus, BoxFuture, Cleanup, Contender, Measured, Settings, Versus,
};

/// One `grouped` row: the user, its post count and total views.
type GroupedRow = (String, String, i64, Option<i64>);

const GROUPED_PG: &str = r#"SELECT "users"."id", "users"."email", COUNT("posts"."id"), CAST(SUM("posts"."views") AS BIGINT) FROM "users" LEFT JOIN "posts" ON "posts"."author_id" = "users"."id" WHERE "users"."name" = $1 GROUP BY "users"."id", "users"."email" ORDER BY "users"."id" ASC"#;
const GROUPED_SQLITE: &str = r#"SELECT "users"."id", "users"."email", COUNT("posts"."id"), SUM("posts"."views") FROM "users" LEFT JOIN "posts" ON "posts"."author_id" = "users"."id" WHERE "users"."name" = ? GROUP BY "users"."id", "users"."email" ORDER BY "users"."id" ASC"#;

/// The user name the queries filter on (diesel_bench's hair colour).
const NAME: &str = "black";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    Medium,
    Grouped,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Postgres,
    Sqlite,
}

/// The `Grouped` query as strata builds it.
macro_rules! grouped {
    () => {
        strata::select((
            User::id(),
            User::email(),
            count(Post::id()),
            sum(Post::views()),
        ))
        .from::<User>()
        .left_join::<Post>(eq(Post::author_id(), User::id()))
        .filter(eq(User::name(), NAME))
        .group_by((User::id(), User::email()))
        .order_by(User::id().asc())
    };
}

async fn strata_medium(db: &Db) -> Vec<MediumRow> {
    medium::fetch(db, NAME).await.expect("strata medium")
}

async fn strata_grouped(db: &Db) -> Vec<GroupedRow> {
    grouped!().fetch_all(db).await.expect("strata grouped")
}

fn hand_sql(kind: Kind, shape: Shape) -> &'static str {
    match (kind, shape) {
        (Kind::Postgres, Shape::Medium) => MEDIUM_PG,
        (Kind::Sqlite, Shape::Medium) => MEDIUM_SQLITE,
        (Kind::Postgres, Shape::Grouped) => GROUPED_PG,
        (Kind::Sqlite, Shape::Grouped) => GROUPED_SQLITE,
    }
}

/// A fresh database with `users` users and their posts; its URL.
async fn seed(kind: Kind, pg_url: &str, users: usize) -> String {
    let url = match kind {
        Kind::Postgres => {
            let mut admin = PgConnection::connect(pg_url).await.expect("PostgreSQL");
            for sql in [
                "DROP DATABASE IF EXISTS strata_bench_medium WITH (FORCE)",
                "CREATE DATABASE strata_bench_medium",
                "ALTER DATABASE strata_bench_medium SET synchronous_commit = off",
            ] {
                sqlx::raw_sql(sql).execute(&mut admin).await.expect(sql);
            }
            match pg_url.rsplit_once('/') {
                Some((base, _)) => format!("{base}/strata_bench_medium"),
                None => panic!("STRATA_BENCH_PG_URL needs a database path"),
            }
        }
        Kind::Sqlite => {
            let shm = std::path::Path::new("/dev/shm");
            let dir = if shm.is_dir() {
                shm.to_path_buf()
            } else {
                std::env::temp_dir()
            };
            let path = dir.join(format!("strata-bench-medium-{}.db", std::process::id()));
            let url = format!("sqlite://{}", path.display());
            remove_sqlite(&url);
            url
        }
    };
    let db = Db::connect_single(&url).await.expect("connect");
    db.push_schema::<BlogSchema>().await.expect("schema");
    let user_id = |u: usize| format!("user{u:05}");
    let creates: Vec<_> = (0..users)
        .map(|u| {
            User::create()
                .email(format!("{u}@bench.io"))
                .name(if u % 2 == 0 { "black" } else { "brown" })
                .id(user_id(u))
        })
        .collect();
    User::create_many(creates).exec(&db).await.expect("users");
    let creates: Vec<_> = (0..users)
        .flat_map(|u| (0..u % 3).map(move |p| (u, p)))
        .map(|(u, p)| {
            Post::create()
                .title(format!("post {p} of user {u}"))
                .author_id(user_id(u))
                .views((u * 7 + p) as i64)
                .published(p == 0)
        })
        .collect();
    Post::create_many(creates).exec(&db).await.expect("posts");
    db.close().await;
    url
}

struct StrataSide {
    db: Db,
    shape: Shape,
}

impl Contender for StrataSide {
    fn batch<'a>(&'a mut self, n: usize, out: &'a mut Vec<Duration>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            match self.shape {
                Shape::Medium => strata_bench::timed!(n, out, |_i| strata_medium(&self.db).await),
                Shape::Grouped => {
                    strata_bench::timed!(n, out, |_i| strata_grouped(&self.db).await)
                }
            }
        })
    }
}

enum SqlxConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

struct SqlxSide {
    conn: SqlxConn,
    shape: Shape,
    sql: &'static str,
}

impl SqlxSide {
    async fn medium(&mut self) -> Vec<MediumRow> {
        let query = sqlx::query_as::<_, MediumRow>;
        match &mut self.conn {
            SqlxConn::Postgres(c) => query(self.sql).bind(NAME).fetch_all(c).await,
            SqlxConn::Sqlite(c) => sqlx::query_as(self.sql).bind(NAME).fetch_all(c).await,
        }
        .expect("sqlx medium")
    }

    async fn grouped(&mut self) -> Vec<GroupedRow> {
        match &mut self.conn {
            SqlxConn::Postgres(c) => sqlx::query_as(self.sql).bind(NAME).fetch_all(c).await,
            SqlxConn::Sqlite(c) => sqlx::query_as(self.sql).bind(NAME).fetch_all(c).await,
        }
        .expect("sqlx grouped")
    }
}

impl Contender for SqlxSide {
    fn batch<'a>(&'a mut self, n: usize, out: &'a mut Vec<Duration>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            match self.shape {
                Shape::Medium => strata_bench::timed!(n, out, |_i| self.medium().await),
                Shape::Grouped => strata_bench::timed!(n, out, |_i| self.grouped().await),
            }
        })
    }
}

fn line(
    kind: Kind,
    shape: Shape,
    users: usize,
    rows: usize,
    m: &Measured,
    base: &Measured,
    v: Versus,
) -> String {
    let (s, b) = (m.stats(), base.stats());
    format!(
        "| {kind:?} | {shape:?} | {users} | {rows} | {:.0} | {:.0} | {:.0} | {:.0} | {:.3}x | {:.3}x | {:+.1} |",
        s.median.as_secs_f64() * 1e6,
        s.p99.as_secs_f64() * 1e6,
        b.median.as_secs_f64() * 1e6,
        b.p99.as_secs_f64() * 1e6,
        v.ratio,
        v.round_ratio,
        v.overhead_us,
    )
}

/// One half of a comparison: both sides connected afresh (strata first or
/// sqlx first), checked to read the same rows, then compared. Returns
/// strata's and sqlx's measurements and the row count.
async fn half(
    kind: Kind,
    url: &str,
    shape: Shape,
    settings: &Settings,
    cpu: Option<usize>,
    strata_first: bool,
) -> (Measured, Measured, usize) {
    let sqlx_connect = async || match kind {
        Kind::Postgres => SqlxConn::Postgres(PgConnection::connect(url).await.expect("pg")),
        Kind::Sqlite => SqlxConn::Sqlite(
            SqliteConnection::connect_with(&sqlite_options(url))
                .await
                .expect("sqlite"),
        ),
    };
    let (db, conn) = if strata_first {
        let db = Db::connect_single(url).await.expect("strata connect");
        (db, sqlx_connect().await)
    } else {
        let conn = sqlx_connect().await;
        (Db::connect_single(url).await.expect("strata connect"), conn)
    };
    let mut sqlx_side = SqlxSide {
        conn,
        shape,
        sql: hand_sql(kind, shape),
    };
    // Both sides read the same rows before anything is timed.
    let rows = match shape {
        Shape::Medium => {
            let (mut ours, mut theirs) = (strata_medium(&db).await, sqlx_side.medium().await);
            ours.sort();
            theirs.sort();
            assert_eq!(ours, theirs);
            ours.len()
        }
        Shape::Grouped => {
            let (ours, theirs) = (strata_grouped(&db).await, sqlx_side.grouped().await);
            assert_eq!(ours, theirs);
            ours.len()
        }
    };
    let backends = match (cpu, kind) {
        (Some(cpu), Kind::Postgres) => PinnedBackends::connect(url, cpu).await,
        _ => None,
    };
    let mut prepare: Option<Cleanup> = backends.map(PinnedBackends::into_prepare);
    let strata = StrataSide {
        db: db.clone(),
        shape,
    };
    let mut contenders: Vec<(String, Box<dyn Contender>)> = vec![
        ("strata".into(), Box::new(strata)),
        ("sqlx".into(), Box::new(sqlx_side)),
    ];
    let (mut measured, n) = compare(settings, &mut contenders, None, prepare.as_mut()).await;
    eprintln!(
        "{kind:?} {shape:?}: {} rounds x {n}, {} connected first{}",
        settings.rounds,
        if strata_first { "strata" } else { "sqlx" },
        if cpu.is_some() { ", pinned" } else { "" }
    );
    drop(contenders);
    db.close().await;
    let sqlx = measured.pop().expect("sqlx");
    let strata = measured.pop().expect("strata");
    (strata, sqlx, rows)
}

async fn run(
    kind: Kind,
    pg_url: &str,
    users: usize,
    settings: &Settings,
    pin: bool,
) -> Vec<String> {
    let url = seed(kind, pg_url, users).await;
    let dialect = match kind {
        Kind::Postgres => Dialect::Postgres,
        Kind::Sqlite => Dialect::Sqlite,
    };
    let mut lines = Vec::new();
    for shape in [Shape::Medium, Shape::Grouped] {
        let rendered = match shape {
            Shape::Medium => medium::render(dialect, NAME),
            Shape::Grouped => grouped!().to_sql(dialect),
        }
        .expect("render");
        assert_eq!(
            rendered.sql,
            hand_sql(kind, shape),
            "the hand-written SQL is strata's"
        );
        let pinned = if pin { Pinned::to_current_cpu() } else { None };
        let cpu = pinned.as_ref().map(Pinned::cpu);
        // Two halves, the second connecting the sides in the other order, as
        // vs_sqlx does: a bias of the first connection cancels out.
        let (mut strata, mut sqlx, rows) = half(kind, &url, shape, settings, cpu, true).await;
        let (strata_b, sqlx_b, _) = half(kind, &url, shape, settings, cpu, false).await;
        let v = combine(&[versus(&strata, &sqlx), versus(&strata_b, &sqlx_b)]);
        strata.append(strata_b);
        sqlx.append(sqlx_b);
        lines.push(line(kind, shape, users, rows, &strata, &sqlx, v));
        drop(pinned);
    }
    if kind == Kind::Sqlite {
        remove_sqlite(&url);
    }
    lines
}

fn main() {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let pg_url = env("STRATA_BENCH_PG_URL")
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let dbs = env("STRATA_BENCH_DBS").unwrap_or_else(|| "postgres,sqlite".into());
    let kinds: Vec<Kind> = [(Kind::Postgres, "postgres"), (Kind::Sqlite, "sqlite")]
        .into_iter()
        .filter(|(_, name)| dbs.contains(name))
        .map(|(kind, _)| kind)
        .collect();
    let rounds = env("STRATA_BENCH_ROUNDS")
        .and_then(|r| r.parse().ok())
        .unwrap_or(30);
    let pin = env("STRATA_BENCH_PIN").is_none_or(|v| v != "0");
    let settings = Settings {
        rounds,
        batch_target: Duration::from_millis(20),
        min_batch: 1,
        max_batch: 200,
        warmup: Duration::from_millis(300),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut lines = vec![
        "| database | case | users | rows | strata median µs | strata p99 µs | sqlx median µs | sqlx p99 µs | ratio | round ratio | overhead µs |".to_owned(),
        "|---|---|---|---|---|---|---|---|---|---|---|".to_owned(),
    ];
    for kind in kinds {
        for users in [100, 1_000] {
            lines.extend(rt.block_on(run(kind, &pg_url, users, &settings, pin)));
        }
    }
    println!("{}", lines.join("\n"));
}
