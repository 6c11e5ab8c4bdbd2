//! The lending path: one cached connection for serial work, the pool for
//! concurrent work, and recovery when the cached connection dies.

use schema_examples::blog::{BlogSchema, Tag};
use sqlx::{AssertSqlSafe, Executor as _};
use std::time::Duration;
use strata::{Db, Dialect, PoolOptions};
use strata_tests::backend_tests;

backend_tests!(
    a_one_connection_pool_serves_concurrent_tasks,
    |db| async move {
        db.push_schema::<BlogSchema>().await.unwrap();
        let url = strata_tests::url_of(&db);
        let one = Db::connect_with(
            &url,
            PoolOptions {
                max_connections: 1,
                acquire_timeout: Duration::from_secs(5),
                ..PoolOptions::default()
            },
        )
        .await
        .unwrap();
        // Every task must get the single connection in turn, whether it is lent
        // from the cache or from the pool.
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let one = one.clone();
                tokio::spawn(async move {
                    for j in 0..5 {
                        Tag::create()
                            .name(format!("t{i}-{j}"))
                            .exec(&one)
                            .await
                            .unwrap();
                        Tag::count().exec(&one).await.unwrap();
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(Tag::count().exec(&one).await.unwrap(), 80);
        one.close().await;
    }
);

backend_tests!(a_killed_cached_connection_is_replaced, |db| async move {
    if db.dialect() == Dialect::Sqlite {
        return; // an embedded database has no server to drop the connection
    }
    db.push_schema::<BlogSchema>().await.unwrap();
    Tag::create().name("a").exec(&db).await.unwrap();
    // Find the server-side id of the connection strata keeps cached, and kill it
    // from another session.
    let killed = match db.dialect() {
        Dialect::Postgres => {
            let pool = db.as_postgres().unwrap();
            let others: Vec<(i32,)> = sqlx::query_as(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for (pid,) in &others {
                pool.execute(AssertSqlSafe(format!("SELECT pg_terminate_backend({pid})")))
                    .await
                    .unwrap();
            }
            others.len()
        }
        _ => {
            let pool = db.as_mysql().unwrap();
            let others: Vec<(i64,)> = sqlx::query_as(
                "SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for (id,) in &others {
                pool.execute(AssertSqlSafe(format!("KILL {id}")))
                    .await
                    .unwrap();
            }
            others.len()
        }
    };
    assert!(killed >= 1, "the cached connection was found and killed");
    // The next statement on the dead connection fails (strata never retries a
    // statement on its own: it could be a write), and the one after succeeds on
    // a fresh connection.
    let mut recovered = false;
    for _ in 0..3 {
        if Tag::count().exec(&db).await.is_ok() {
            recovered = true;
            break;
        }
    }
    assert!(recovered, "strata kept lending a dead connection");
    assert_eq!(Tag::count().exec(&db).await.unwrap(), 1);
});
