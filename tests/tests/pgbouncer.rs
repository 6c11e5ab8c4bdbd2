//! PgBouncer in transaction mode (`.ci/pgbouncer.sh`: 4 server connections
//! shared by up to 200 clients) in front of the local PostgreSQL.

mod pgbouncer_support;
mod runner_support;

use pgbouncer_support::raw::{self, Mode};
use pgbouncer_support::stress;
use runner_support::Folders;
use schema_examples::blog::BlogSchema;
use std::time::Duration;
use strata::cli::{execute, parse_from};
use strata::migrate::runner::UrlSources;
use strata::{sql, Db, ModelSet, PoolOptions};
use strata_tests::pooled_db;

const TASKS: i64 = 32;
const PER_TASK: i64 = 400;

/// Raw sqlx through the pooler, each candidate mechanism, every value
/// checked; the same statements straight to PostgreSQL as the control.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn raw_sqlx_through_pgbouncer() {
    let Some(db) = pooled_db().await else { return };
    let direct = raw::pool(&db.direct_url, Mode::Default, 32).await;
    raw::create_table(&direct).await;
    let control = raw::stress(&direct, Mode::Default, TASKS, PER_TASK).await;
    direct.close().await;
    eprintln!("direct to PostgreSQL, sqlx defaults: {control}");
    let mut results = Vec::new();
    for mode in Mode::ALL {
        let pool = raw::pool(&db.pooled_url, mode, 32).await;
        let tally = raw::stress(&pool, mode, TASKS, PER_TASK).await;
        pool.close().await;
        eprintln!("through PgBouncer, {mode:?}: {tally}");
        results.push((mode, tally));
    }
    db.cleanup().await;
    assert_eq!((control.errors, control.wrong), (0, 0), "{control}");
    // The setup reproduces the hazard: thousands of failures per run here,
    // so "some" is a safe bound.
    let defaults = &results[0].1;
    assert!(defaults.errors + defaults.wrong > 0, "{defaults}");
    let pinned = &results
        .iter()
        .find(|(mode, _)| *mode == Mode::PinnedUnnamed)
        .expect("measured")
        .1;
    assert_eq!((pinned.errors, pinned.wrong), (0, 0), "{pinned}");
}

/// How long the strata stress test keeps its tasks busy.
const STRESS_FOR: Duration = Duration::from_secs(6);

/// strata's pgbouncer mode through the pooler: 32 tasks for several
/// seconds, every operation kind (model reads and writes, includes,
/// transactions with savepoints, `sql!`, the select builder), every
/// returned value checked against what the task itself wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn strata_pgbouncer_mode_returns_only_right_results() {
    let Some(pooled) = pooled_db().await else {
        return;
    };
    let url = format!("{}?pgbouncer=true", pooled.pooled_url);
    let db = Db::builder()
        .url(&url)
        .pool(PoolOptions {
            max_connections: 32,
            ..PoolOptions::default()
        })
        .connect()
        .await
        .expect("connecting through PgBouncer");
    assert!(db.is_pgbouncer());
    db.push_schema::<BlogSchema>()
        .await
        .expect("schema through PgBouncer");
    let tally = stress::run(&db, TASKS, STRESS_FOR).await;
    db.close().await;
    let left = prepared_statements_left(&pooled.pooled_url).await;
    pooled.cleanup().await;
    eprintln!("strata pgbouncer mode, {TASKS} tasks for {STRESS_FOR:?}: {tally}");
    assert!(
        tally.total() >= TASKS as u64 * 20,
        "too few operations ran: {tally}"
    );
    assert_eq!((tally.errors, tally.wrong), (0, 0), "{tally}");
    assert_eq!(
        left, [0; SERVER_POOL],
        "named statements left on server connections"
    );
}

/// `.ci/pgbouncer.sh`'s `default_pool_size`: server connections per database.
const SERVER_POOL: usize = 4;

/// How many named prepared statements each server connection of the pool
/// holds: SERVER_POOL clients each hold a transaction open at once, so
/// together they hold every server connection, and each asks its own.
async fn prepared_statements_left(url: &str) -> Vec<i64> {
    use sqlx::{Connection as _, Row as _};
    let mut clients = Vec::new();
    for _ in 0..SERVER_POOL {
        clients.push(sqlx::PgConnection::connect(url).await.expect("a client"));
    }
    let mut transactions = Vec::new();
    for client in &mut clients {
        transactions.push(client.begin().await.expect("BEGIN"));
    }
    let mut counts = Vec::new();
    for tx in &mut transactions {
        // Simple protocol: asking must not prepare anything itself.
        let row = sqlx::raw_sql("SELECT count(*) FROM pg_prepared_statements")
            .fetch_one(&mut **tx)
            .await
            .expect("counting prepared statements");
        counts.push(row.get::<i64, _>(0));
    }
    counts
}

/// `strata migrate deploy` in a deploy where `DATABASE_URL` is the real
/// pooler: refused without `DIRECT_URL` (its session advisory lock would
/// not hold through transaction pooling), applied through `DIRECT_URL`
/// with it, and then seen by the app through the pooler.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_deploy_takes_direct_url_over_the_pooler() {
    let Some(pooled) = pooled_db().await else {
        return;
    };
    let folders = Folders::new();
    folders.add(
        "20260101000000_create_items",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
         INSERT INTO items VALUES (1, 'one');\n",
        None,
    );
    let app_url = format!("{}?pgbouncer=true", pooled.pooled_url);
    let deploy = |sources: UrlSources| {
        let dir = folders.path().to_string_lossy().into_owned();
        async move {
            let cli = parse_from(["strata", "--migrations-dir", &dir, "migrate", "deploy"])
                .expect("a command line");
            let mut out = Vec::new();
            let result = execute(&cli, &BlogSchema::schemas(), &sources, &mut out).await;
            (result, String::from_utf8(out).expect("UTF-8 report"))
        }
    };
    let (refused, _) = deploy(UrlSources {
        database_url: Some(app_url.clone()),
        ..UrlSources::default()
    })
    .await;
    let refused = refused.expect_err("a pooler URL without DIRECT_URL");
    assert!(refused.to_string().contains("DIRECT_URL"), "{refused}");

    let (applied, report) = deploy(UrlSources {
        database_url: Some(app_url.clone()),
        direct_url: Some(pooled.direct_url.clone()),
        ..UrlSources::default()
    })
    .await;
    assert!(applied.expect("deploy through DIRECT_URL"), "{report}");
    assert_eq!(report, "applied 20260101000000_create_items\n");

    let app = Db::builder()
        .url(&app_url)
        .direct_url(&pooled.direct_url)
        .connect()
        .await
        .expect("the app through the pooler");
    assert_eq!(app.direct_url(), Some(pooled.direct_url.as_str()));
    let names: Vec<(String,)> = sql!("SELECT name FROM items")
        .fetch_all(&app)
        .await
        .unwrap();
    assert_eq!(names, [("one".to_owned(),)]);
    app.close().await;
    pooled.cleanup().await;
}

/// What PgBouncer mode cannot carry is refused before connecting: no server
/// needed.
#[tokio::test]
async fn pgbouncer_mode_refuses_what_the_pooler_cannot_carry() {
    let url = "postgres://app:secret@127.0.0.1:1/app?pgbouncer=true";
    let lock_timeout = Db::builder()
        .url(url)
        .pool(PoolOptions {
            lock_timeout: Some(Duration::from_secs(1)),
            ..PoolOptions::default()
        })
        .connect()
        .await
        .expect_err("lock_timeout through PgBouncer");
    assert!(
        lock_timeout.to_string().contains("lock_timeout"),
        "{lock_timeout}"
    );
    let single = Db::connect_single(url)
        .await
        .expect_err("a single connection");
    let message = single.to_string();
    assert!(
        message.contains("needs a pool") && !message.contains("secret"),
        "{message}"
    );
    let mysql = Db::connect("mysql://root@127.0.0.1:1/db?pgbouncer=true")
        .await
        .expect_err("PgBouncer mode on MySQL");
    assert!(mysql.to_string().contains("PostgreSQL"), "{mysql}");
}
