//! PgBouncer in transaction mode (`.ci/pgbouncer.sh`: 4 server connections
//! shared by up to 200 clients) in front of the local PostgreSQL.

mod pgbouncer_support;

use pgbouncer_support::raw::{self, Mode};
use pgbouncer_support::stress;
use schema_examples::blog::BlogSchema;
use std::time::Duration;
use strata::{Db, PoolOptions};
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
    pooled.cleanup().await;
    eprintln!("strata pgbouncer mode, {TASKS} tasks for {STRESS_FOR:?}: {tally}");
    assert!(
        tally.total() >= TASKS as u64 * 20,
        "too few operations ran: {tally}"
    );
    assert_eq!((tally.errors, tally.wrong), (0, 0), "{tally}");
}
