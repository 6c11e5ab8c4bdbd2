//! Instructions per one-row builder select, strata vs hand-written sqlx, on
//! PostgreSQL (the peers bench's `medium_complex_query/1` on the blog
//! schema): for callgrind, where wall-clock time on a shared machine is too
//! noisy to see a few thousand instructions.
//!
//!     cargo build --release -p strata-bench --example select_instructions
//!     target/release/examples/select_instructions seed
//!     for n in 100 300; do valgrind --tool=callgrind --separate-threads=yes \
//!         --zero-before=strata_bench_measure_start --dump-before=strata_bench_measure_end \
//!         target/release/examples/select_instructions run select $n; done
//!
//! Instructions per call: the difference between the two runs' client-thread
//! totals (`callgrind.out.<pid>.1-01`), divided by 200. Sides: `select`
//! (strata's builder select: users LEFT JOIN posts filtered on the user's
//! name, one row), `sqlx` (the same SQL with `query_as` into a tuple),
//! `find-many` (`User::find_many()` with the same filter, one row).
//! `seed` (re)creates the database `strata_select_instructions` at
//! STRATA_BENCH_PG_URL's server (default postgres://postgres@127.0.0.1:5432/postgres).

use schema_examples::blog::{BlogSchema, Post, User};
use sqlx::{Connection, PgConnection};
use strata::Db;
use strata_bench::callgrind::{strata_bench_measure_end, strata_bench_measure_start};
use strata_bench::medium::{self, MediumRow, MEDIUM_PG};

const NAME: &str = "strata_select_instructions";

fn server_url() -> String {
    std::env::var("STRATA_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn url() -> String {
    match server_url().rsplit_once('/') {
        Some((server, _)) => format!("{server}/{NAME}"),
        None => panic!("STRATA_BENCH_PG_URL needs a database path"),
    }
}

async fn strata_select(db: &Db) -> Vec<MediumRow> {
    medium::fetch(db, "black").await.expect("strata select")
}

async fn strata_find_many(db: &Db) -> Vec<User> {
    User::find_many()
        .filter(User::name().eq("black"))
        .exec(db)
        .await
        .expect("strata find_many")
}

async fn sqlx_select(conn: &mut PgConnection) -> Vec<MediumRow> {
    sqlx::query_as(MEDIUM_PG)
        .bind("black")
        .fetch_all(conn)
        .await
        .expect("sqlx select")
}

/// Two users, "black" and "brown", with one post each.
async fn seed() {
    let mut admin = PgConnection::connect(&server_url())
        .await
        .expect("PostgreSQL");
    for sql in [
        format!("DROP DATABASE IF EXISTS {NAME} WITH (FORCE)"),
        format!("CREATE DATABASE {NAME}"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .expect("create the database");
    }
    let db = Db::connect_single(&url()).await.expect("connect");
    db.push_schema::<BlogSchema>().await.expect("schema");
    for (i, name) in ["black", "brown"].into_iter().enumerate() {
        let user = User::create()
            .email(format!("{i}@bench.io"))
            .name(name)
            .exec(&db)
            .await
            .expect("user");
        Post::create()
            .title(format!("post of {name}"))
            .author_id(&user.id)
            .views(3)
            .published(true)
            .exec(&db)
            .await
            .expect("post");
    }
}

/// Warms up (statement caches, the remembered text), then runs `n` calls
/// between the markers.
macro_rules! measure {
    ($n:expr, $call:expr) => {{
        for _ in 0..10 {
            assert_eq!($call.len(), 1, "one row");
        }
        strata_bench_measure_start();
        for _ in 0..$n {
            std::hint::black_box($call);
        }
        strata_bench_measure_end();
    }};
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let usage = "usage: select_instructions seed | run <select|find-many|sqlx> <n>";
    rt.block_on(async {
        match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["seed"] => seed().await,
            ["run", side, n] => {
                let n: usize = n.parse().expect(usage);
                match side {
                    "select" | "find-many" => {
                        let db = Db::connect_single(&url()).await.expect("connect");
                        if side == "select" {
                            measure!(n, strata_select(&db).await)
                        } else {
                            measure!(n, strata_find_many(&db).await)
                        }
                    }
                    "sqlx" => {
                        let mut conn = PgConnection::connect(&url()).await.expect("connect");
                        measure!(n, sqlx_select(&mut conn).await)
                    }
                    _ => panic!("{usage}"),
                }
            }
            _ => panic!("{usage}"),
        }
    });
}
