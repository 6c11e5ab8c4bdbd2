//! `PoolOptions::max_uses` recycles connections, and `Db::pool_status`
//! shows an exhausted pool's waiters while the waiting statement gets the
//! typed `PoolTimedOut` within the acquire timeout.

use schema_examples::blog::{BlogSchema, Tag};
use std::time::{Duration, Instant};
use strata::{sql, Db, Dialect, Error, PoolOptions};
use strata_tests::{backend_tests, url_of};

/// Something that tells the connection a statement ran on from another:
/// the server's connection id; on SQLite, which has no server, a setting
/// each connection holds for itself (`PRAGMA cache_size`, set to a mark by
/// the first statement on a connection, back to its default on a new one).
async fn connection_mark(db: &Db) -> i64 {
    match db.dialect() {
        Dialect::Postgres => sql!("SELECT CAST(pg_backend_pid() AS BIGINT)")
            .fetch_scalar(db)
            .await
            .unwrap(),
        Dialect::MySql => sql!("SELECT CAST(CONNECTION_ID() AS SIGNED)")
            .fetch_scalar(db)
            .await
            .unwrap(),
        Dialect::Sqlite => sql!("PRAGMA cache_size").fetch_scalar(db).await.unwrap(),
    }
}

const SQLITE_MARK: i64 = -1234;

backend_tests!(max_uses_recycles_the_cached_connection, |db| async move {
    let url = url_of(&db);
    let pool = Db::connect_with(
        &url,
        PoolOptions {
            max_connections: 2,
            max_uses: Some(3),
            ..PoolOptions::default()
        },
    )
    .await
    .unwrap();
    // Serial statements all run on the connection the pool keeps cached;
    // every third one must be its last.
    if pool.dialect() == Dialect::Sqlite {
        let default = connection_mark(&pool).await; // use 1 of connection A
        assert_ne!(default, SQLITE_MARK);
        let mark = sql!("PRAGMA cache_size = -1234");
        mark.execute(&pool).await.unwrap(); // 2
        assert_eq!(connection_mark(&pool).await, SQLITE_MARK, "3rd: still A");
        assert_eq!(
            connection_mark(&pool).await,
            default,
            "4th: a new connection"
        );
        mark.execute(&pool).await.unwrap(); // 5
        assert_eq!(connection_mark(&pool).await, SQLITE_MARK, "6th: still B");
        assert_eq!(
            connection_mark(&pool).await,
            default,
            "7th: a new connection"
        );
    } else {
        let mut marks = Vec::new();
        for _ in 0..7 {
            marks.push(connection_mark(&pool).await);
        }
        let (a, b, c) = (marks[0], marks[3], marks[6]);
        assert_eq!(
            marks,
            vec![a, a, a, b, b, b, c],
            "each connection serves 3 statements"
        );
        assert!(
            a != b && b != c && a != c,
            "three distinct connections: {marks:?}"
        );
    }
    let status = pool.pool_status().unwrap();
    assert_eq!(status.recycled, 2, "{status:?}");
    pool.close().await;
});

backend_tests!(
    max_uses_recycles_connections_returned_to_the_pool,
    |db| async move {
        if db.dialect() == Dialect::Sqlite {
            return; // no server id to tell a reopened file handle apart by
        }
        let url = url_of(&db);
        let pool = Db::connect_with(
            &url,
            PoolOptions {
                max_connections: 1,
                max_uses: Some(3),
                ..PoolOptions::default()
            },
        )
        .await
        .unwrap();
        // Checkouts straight from sqlx's pool: each goes back to it after
        // the statement, where the release hook counts it.
        let mut ids = Vec::new();
        for _ in 0..8 {
            let id: i64 = match pool.dialect() {
                Dialect::Postgres => {
                    let mut c = pool.as_postgres().unwrap().acquire().await.unwrap();
                    sqlx::query_scalar("SELECT CAST(pg_backend_pid() AS BIGINT)")
                        .fetch_one(&mut *c)
                        .await
                        .unwrap()
                }
                _ => {
                    let mut c = pool.as_mysql().unwrap().acquire().await.unwrap();
                    sqlx::query_scalar("SELECT CAST(CONNECTION_ID() AS SIGNED)")
                        .fetch_one(&mut *c)
                        .await
                        .unwrap()
                }
            };
            ids.push(id);
        }
        // sqlx's connect checks out the first connection once before the
        // pool is handed over, which counts: that one may serve fewer.
        let runs = runs(&ids);
        assert!(runs.len() >= 3, "recycled at least twice: {ids:?}");
        assert!((1..=3).contains(&runs[0]), "{ids:?}");
        assert!(runs[1..runs.len() - 1].iter().all(|&n| n == 3), "{ids:?}");
        assert!(runs[runs.len() - 1] <= 3, "{ids:?}");
        let mut distinct = ids.clone();
        distinct.dedup();
        let unique: std::collections::HashSet<_> = distinct.iter().collect();
        assert_eq!(
            unique.len(),
            distinct.len(),
            "a closed connection came back: {ids:?}"
        );
        assert!(pool.pool_status().unwrap().recycled >= 2);
        pool.close().await;
    }
);

backend_tests!(
    an_exhausted_pool_times_out_quickly_and_shows_its_waiter,
    |db| async move {
        db.push_schema::<BlogSchema>().await.unwrap();
        let url = url_of(&db);
        let pool = Db::connect_with(
            &url,
            PoolOptions {
                max_connections: 2,
                acquire_timeout: Duration::from_millis(200),
                ..PoolOptions::default()
            },
        )
        .await
        .unwrap();
        Tag::count().exec(&pool).await.unwrap();
        let before = pool.pool_status().unwrap();
        assert_eq!(
            (before.size, before.in_use, before.waiting),
            (1, 0, 0),
            "{before:?}"
        );

        // Hold both connections: the cached one in an open transaction, the
        // other checked out of sqlx's pool.
        let tx = pool.begin_transaction().await.unwrap();
        Tag::create().name("held").exec(&tx).await.unwrap();
        let held = match pool.dialect() {
            Dialect::Postgres => {
                Held::Postgres(pool.as_postgres().unwrap().acquire().await.unwrap())
            }
            Dialect::MySql => Held::MySql(pool.as_mysql().unwrap().acquire().await.unwrap()),
            Dialect::Sqlite => Held::Sqlite(pool.as_sqlite().unwrap().acquire().await.unwrap()),
        };

        let waiter = {
            let pool = pool.clone();
            tokio::spawn(async move {
                let start = Instant::now();
                let result = Tag::count().exec(&pool).await;
                (result, start.elapsed())
            })
        };
        tokio::time::sleep(Duration::from_millis(80)).await;
        let during = pool.pool_status().unwrap();
        assert_eq!(during.size, 2, "{during:?}");
        assert_eq!(during.in_use, 2, "{during:?}");
        assert_eq!(during.idle, 0, "{during:?}");
        assert_eq!(during.waiting, 1, "{during:?}");

        let (result, took) = waiter.await.unwrap();
        assert!(
            matches!(result, Err(Error::PoolTimedOut)),
            "a typed PoolTimedOut, got {result:?}"
        );
        assert!(took < Duration::from_secs(1), "timed out after {took:?}");
        assert!(
            took >= Duration::from_millis(150),
            "gave up early: {took:?}"
        );

        let after = pool.pool_status().unwrap();
        assert_eq!(after.timeouts, before.timeouts + 1, "{after:?}");
        assert_eq!(after.waiting, 0, "{after:?}");

        drop(held);
        tx.rollback().await.unwrap();
        // The pool recovers: the next statement gets a connection.
        assert_eq!(Tag::count().exec(&pool).await.unwrap(), 0);
        let end = pool.pool_status().unwrap();
        assert_eq!(end.waiting, 0, "{end:?}");
        assert!(end.acquire_latency.count() >= 3, "{end:?}");
        pool.close().await;
    }
);

/// A connection held out of the pool for the length of a test.
#[allow(dead_code)] // held for its drop
enum Held {
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
    MySql(sqlx::pool::PoolConnection<sqlx::MySql>),
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
}

/// Lengths of the runs of equal neighbours.
fn runs(ids: &[i64]) -> Vec<usize> {
    let mut runs: Vec<usize> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        match runs.last_mut() {
            Some(n) if ids[i - 1] == *id => *n += 1,
            _ => runs.push(1),
        }
    }
    runs
}

backend_tests!(
    concurrent_statements_spread_over_the_pool_and_a_burst_is_given_back,
    |db| async move {
        if db.dialect() == Dialect::Sqlite {
            return; // no server connection id to count connections by
        }
        let url = url_of(&db);
        let pool = Db::connect_with(
            &url,
            PoolOptions {
                max_connections: 4,
                ..PoolOptions::default()
            },
        )
        .await
        .unwrap();
        // 8 tasks, each holding its connection for 200 ms: the pool must grow
        // to all 4 connections (an earlier lease kept it at 1) and no further.
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    match pool.dialect() {
                        Dialect::Postgres => {
                            sql!("SELECT CAST(pg_backend_pid() AS BIGINT) FROM pg_sleep(0.2)")
                                .fetch_scalar::<i64>(&pool)
                                .await
                                .unwrap()
                        }
                        _ => {
                            let (id, _): (i64, i64) = sql!(
                                "SELECT CAST(CONNECTION_ID() AS SIGNED), CAST(SLEEP(0.2) AS SIGNED)"
                            )
                            .fetch_one(&pool)
                            .await
                            .unwrap();
                            id
                        }
                    }
                })
            })
            .collect();
        let mut ids = std::collections::HashSet::new();
        for task in tasks {
            ids.insert(task.await.unwrap());
        }
        assert_eq!(
            ids.len(),
            4,
            "8 concurrent statements on a pool of 4: {ids:?}"
        );
        let busy = pool.pool_status().unwrap();
        assert_eq!(
            (busy.size, busy.in_use, busy.waiting),
            (4, 0, 0),
            "{busy:?}"
        );
        // Unused for over a second, the burst's connections (all but the
        // first) go back to sqlx's pool, where a raw checkout can get one.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let raw = match pool.dialect() {
            Dialect::Postgres => pool.as_postgres().unwrap().try_acquire().is_some(),
            _ => pool.as_mysql().unwrap().try_acquire().is_some(),
        };
        assert!(
            raw,
            "a raw checkout finds an idle connection in sqlx's pool"
        );
        pool.close().await;
    }
);

backend_tests!(
    test_before_acquire_replaces_a_dead_connection_before_lending_it,
    |db| async move {
        if db.dialect() == Dialect::Sqlite {
            return; // an embedded database has no server to drop the connection
        }
        db.push_schema::<BlogSchema>().await.unwrap();
        let url = url_of(&db);
        let pool = Db::connect_with(
            &url,
            PoolOptions {
                test_before_acquire: true,
                ..PoolOptions::default()
            },
        )
        .await
        .unwrap();
        let before = connection_mark(&pool).await;
        // Kill the connection strata keeps for serial work, from another
        // session of the test's own `db`.
        match db.dialect() {
            Dialect::Postgres => {
                let pid = i32::try_from(before).unwrap();
                sql!("SELECT pg_terminate_backend({pid})")
                    .execute(&db)
                    .await
                    .unwrap();
            }
            _ => {
                let killed = sqlx::query(sqlx::AssertSqlSafe(format!("KILL {before}")))
                    .execute(db.as_mysql().unwrap())
                    .await;
                killed.unwrap();
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Without the ping this statement would fail (tests/tests/pool.rs);
        // with it, the dead connection is found and replaced first.
        let after = connection_mark(&pool).await;
        assert_ne!(before, after, "a new connection");
        assert_eq!(Tag::count().exec(&pool).await.unwrap(), 0);
        pool.close().await;
    }
);

backend_tests!(
    a_zero_statement_cache_leaves_no_prepared_statements,
    |db| async move {
        if db.dialect() != Dialect::Postgres {
            return; // pg_prepared_statements is PostgreSQL's view
        }
        db.push_schema::<BlogSchema>().await.unwrap();
        let pool = Db::connect_with(
            &url_of(&db),
            PoolOptions {
                max_connections: 1,
                statement_cache_capacity: 0,
                ..PoolOptions::default()
            },
        )
        .await
        .unwrap();
        for i in 0..20 {
            Tag::create()
                .name(format!("t{i}"))
                .exec(&pool)
                .await
                .unwrap();
            Tag::count().exec(&pool).await.unwrap();
        }
        // sqlx 0.9 with a zero-size cache prepares each statement under a new
        // name and never closes it: 40 here, unless strata runs them unnamed.
        let kept: i64 = sql!("SELECT CAST(count(*) AS BIGINT) FROM pg_prepared_statements")
            .fetch_scalar(&pool)
            .await
            .unwrap();
        assert_eq!(kept, 0, "prepared statements left on the connection");
        pool.close().await;
    }
);
