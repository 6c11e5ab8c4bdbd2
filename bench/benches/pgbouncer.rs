//! What strata's pgbouncer mode costs: a point query and a small list query
//! through PgBouncer in transaction mode (`.ci/pgbouncer.sh`), against the
//! same queries straight to PostgreSQL, strata and hand-written sqlx.
//!
//! Contenders, alternating in rounds (`strata_bench::compare`):
//! - `strata pgbouncer`: `Db` on the pooler URL with `?pgbouncer=true` (each
//!   statement in BEGIN .. COMMIT, unnamed: 4 round trips through the pooler);
//! - `sqlx pinned`: what that mechanism costs by itself: a `PgPool` on the
//!   pooler, `conn.begin()`, the statement with `persistent(false)`, commit;
//! - `strata direct`: `Db` on PostgreSQL (cached named statements: 1 round trip);
//! - `sqlx direct`: a `PgPool` on PostgreSQL, sqlx's defaults.
//!
//! Cases: `point` is `User::find_by_email` (one row of 8 columns); `list` is
//! `Post::find_many()` on one author ordered by views, `take(10)` (10 rows).
//! The sqlx sides run strata's rendered SQL with the same binds and read
//! every column of every row. A multi-thread runtime (2 workers), one task,
//! pools of 4.
//!
//!     .ci/pgbouncer.sh && cargo bench -p strata-bench --bench pgbouncer
//!
//! Knobs: STRATA_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres),
//! STRATA_BENCH_PGBOUNCER_URL (default postgres://postgres@127.0.0.1:6432/postgres;
//! the database `strata_bench_pgbouncer` is dropped and recreated through the
//! first), STRATA_BENCH_ROUNDS (30).

use schema_examples::blog::{BlogSchema, Post, User};
use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, Connection as _, Executor as _, PgPool, Row as _};
use std::time::Duration;
use strata::{Db, Dialect, PoolOptions, ToSql};
use strata_bench::{compare, versus, BoxFuture, Contender, Measured, Settings};

const DATABASE: &str = "strata_bench_pgbouncer";
const AUTHOR_EMAIL: &str = "user7@x.io";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    Point,
    List,
}

enum Side {
    Strata(Db),
    Sqlx { pool: PgPool, pinned: bool },
}

struct Case {
    side: Side,
    shape: Shape,
    sql: String,
    author_id: String,
}

impl Case {
    async fn once(&self) -> usize {
        match &self.side {
            Side::Strata(db) => match self.shape {
                Shape::Point => User::find_by_email(AUTHOR_EMAIL)
                    .exec(db)
                    .await
                    .expect("point query")
                    .map_or(0, |_| 1),
                Shape::List => list(&self.author_id)
                    .exec(db)
                    .await
                    .expect("list query")
                    .len(),
            },
            Side::Sqlx { pool, pinned } => {
                let mut conn = pool.acquire().await.expect("a connection");
                if !*pinned {
                    return self.sqlx(&mut conn, true).await.expect("sqlx query");
                }
                // A connection's first statement returning the enum loses its
                // unnamed statement to sqlx's type lookup (runtime/src/
                // execute/pgbouncer.rs, `prime`): the next run has the type.
                for _ in 0..3 {
                    let mut tx = conn.begin().await.expect("BEGIN");
                    if let Ok(rows) = self.sqlx(&mut tx, false).await {
                        tx.commit().await.expect("COMMIT");
                        return rows;
                    }
                }
                panic!("the pinned sqlx query failed three times")
            }
        }
    }

    async fn sqlx(
        &self,
        conn: &mut sqlx::PgConnection,
        persistent: bool,
    ) -> Result<usize, sqlx::Error> {
        let query = sqlx::query(AssertSqlSafe(self.sql.clone())).persistent(persistent);
        let query = match self.shape {
            Shape::Point => query.bind(AUTHOR_EMAIL),
            Shape::List => query.bind(self.author_id.clone()).bind(10_i64),
        };
        let rows = query.fetch_all(conn).await?;
        // Read every column, as strata decodes every field.
        for row in &rows {
            for i in 0..row.len() {
                std::hint::black_box(row.try_get_raw(i)?);
            }
        }
        Ok(rows.len())
    }
}

impl Contender for Case {
    fn batch<'a>(&'a mut self, n: usize, out: &'a mut Vec<Duration>) -> BoxFuture<'a, ()> {
        Box::pin(async move { strata_bench::timed!(n, out, |_i| self.once().await) })
    }
}

fn list(author_id: &str) -> strata::query::FindMany<Post> {
    Post::find_many()
        .filter(Post::author_id().eq(author_id))
        .order_by(Post::views().asc())
        .take(10)
}

fn url_var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn on_database(url: &str) -> String {
    let root = url.rsplit_once('/').map_or(url, |(root, _)| root);
    format!("{root}/{DATABASE}")
}

async fn setup(admin_url: &str) -> (String, String) {
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("PostgreSQL at STRATA_BENCH_PG_URL");
    admin
        .execute(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{DATABASE}\" WITH (FORCE)"
        )))
        .await
        .expect("dropping the bench database");
    admin
        .execute(AssertSqlSafe(format!("CREATE DATABASE \"{DATABASE}\"")))
        .await
        .expect("creating the bench database");
    let db = Db::connect(&on_database(admin_url))
        .await
        .expect("bench database");
    db.push_schema::<BlogSchema>().await.expect("schema");
    let mut author_id = String::new();
    for u in 0..20 {
        let user = User::create()
            .email(format!("user{u}@x.io"))
            .name(format!("User {u}"))
            .exec(&db)
            .await
            .expect("user");
        for p in 0..15 {
            Post::create()
                .title(format!("post {u}-{p}"))
                .author_id(&user.id)
                .views(p)
                .exec(&db)
                .await
                .expect("post");
        }
        if user.email == AUTHOR_EMAIL {
            author_id = user.id;
        }
    }
    db.close().await;
    let point = User::find_by_email(AUTHOR_EMAIL)
        .to_sql(Dialect::Postgres)
        .expect("point SQL")
        .sql;
    let _ = list(&author_id)
        .to_sql(Dialect::Postgres)
        .expect("list SQL");
    (point, author_id)
}

async fn strata_db(url: &str) -> Db {
    let options = PoolOptions {
        max_connections: 4,
        ..PoolOptions::default()
    };
    Db::connect_with(url, options).await.expect("strata Db")
}

async fn sqlx_pool(url: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(4)
        .connect(url)
        .await
        .expect("sqlx pool")
}

fn report(shape: Shape, measured: &[Measured], n: usize) {
    println!("\n{shape:?} ({n} per batch)");
    let base = &measured[measured.len() - 1];
    for m in measured {
        let stats = m.stats();
        let v = versus(m, base);
        println!(
            "  {:<18} median {:>7.1} us  p99 {:>7.1} us  x{:.2} of {}",
            m.name,
            stats.median.as_secs_f64() * 1e6,
            stats.p99.as_secs_f64() * 1e6,
            v.ratio,
            base.name
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let admin_url = url_var(
        "STRATA_BENCH_PG_URL",
        "postgres://postgres@127.0.0.1:5432/postgres",
    );
    let bouncer_url = url_var(
        "STRATA_BENCH_PGBOUNCER_URL",
        "postgres://postgres@127.0.0.1:6432/postgres",
    );
    let rounds = url_var("STRATA_BENCH_ROUNDS", "30").parse().unwrap_or(30);
    let settings = Settings {
        rounds,
        ..Settings::default()
    };
    let (point_sql, author_id) = setup(&admin_url).await;
    let list_sql = list(&author_id)
        .to_sql(Dialect::Postgres)
        .expect("list SQL")
        .sql;
    let (direct, pooled) = (on_database(&admin_url), on_database(&bouncer_url));
    println!("pgbouncer bench: {rounds} rounds; point: {point_sql}\n  list: {list_sql}");
    for shape in [Shape::Point, Shape::List] {
        let sql = match shape {
            Shape::Point => point_sql.clone(),
            Shape::List => list_sql.clone(),
        };
        let case = |side| Case {
            side,
            shape,
            sql: sql.clone(),
            author_id: author_id.clone(),
        };
        let mut contenders: Vec<(String, Box<dyn Contender>)> = vec![
            (
                "strata pgbouncer".into(),
                Box::new(case(Side::Strata(
                    strata_db(&format!("{pooled}?pgbouncer=true")).await,
                ))),
            ),
            (
                "sqlx pinned".into(),
                Box::new(case(Side::Sqlx {
                    pool: sqlx_pool(&pooled).await,
                    pinned: true,
                })),
            ),
            (
                "strata direct".into(),
                Box::new(case(Side::Strata(strata_db(&direct).await))),
            ),
            (
                "sqlx direct".into(),
                Box::new(case(Side::Sqlx {
                    pool: sqlx_pool(&direct).await,
                    pinned: false,
                })),
            ),
        ];
        let (measured, n) = compare(&settings, &mut contenders, None, None).await;
        report(shape, &measured, n);
    }
}
