//! Locking reads with the select builder (`LockedSelect`) on real SQLite,
//! PostgreSQL and MariaDB: SKIP LOCKED, NOWAIT's LockNotAvailable naming
//! `select`, and the refusal outside a transaction. (The model reads:
//! row_locks.rs.)

use schema_examples::jobs::{Job, JobStatus};
use std::time::Duration;
use strata::dsl::expr;
use strata::{Db, Dialect, Error, PoolOptions};
use strata_tests::{backend_tests, url_of};

async fn jobs(db: &Db, n: usize) {
    db.push_schema::<Job>().await.unwrap();
    let jobs = (1..=n).map(|i| Job::create().payload(format!("job {i}")));
    Job::create_many(jobs).exec(db).await.unwrap();
}

/// The pending jobs' ids, oldest first (a macro: the query's source list is
/// a type the test would otherwise have to spell).
macro_rules! pending_ids {
    () => {
        strata::select(Job::id())
            .from::<Job>()
            .filter(Job::status().eq(JobStatus::Pending))
            .order_by(expr(Job::id()).asc())
    };
}

backend_tests!(select_builder_skip_locked_and_nowait, |db| async move {
    jobs(&db, 3).await;
    if db.dialect() == Dialect::Sqlite {
        let ids = db
            .transaction(|tx| {
                Box::pin(async move {
                    pending_ids!()
                        .for_update()
                        .skip_locked()
                        .fetch_all(tx)
                        .await
                })
            })
            .await?;
        assert_eq!(ids, [1, 2, 3], "nothing is locked by another transaction");
        return Ok(());
    }
    let other = Db::connect_with(&url_of(&db), PoolOptions::default()).await?;
    let t1 = db.begin_transaction().await?;
    let first = pending_ids!().limit(1).for_update().fetch_all(&t1).await?;
    assert_eq!(first, [1]);

    let t2 = other.begin_transaction().await?;
    let skipping = pending_ids!().for_update().skip_locked();
    let rest = tokio::time::timeout(Duration::from_secs(10), skipping.fetch_all(&t2)).await;
    assert_eq!(rest.expect("SKIP LOCKED waited")?, [2, 3]);
    t2.rollback().await?;

    let t2 = other.begin_transaction().await?;
    let nowait = pending_ids!().for_share().nowait();
    let locked = tokio::time::timeout(Duration::from_secs(10), nowait.fetch_all(&t2)).await;
    match locked.expect("NOWAIT waited") {
        Err(Error::LockNotAvailable {
            model: "select", ..
        }) => {}
        other => panic!("expected LockNotAvailable naming select, got {other:?}"),
    }
    t2.rollback().await?;
    t1.rollback().await?;
    Ok::<_, Error>(())
});

backend_tests!(
    select_builder_locking_read_outside_a_transaction_is_refused,
    |db| async move {
        jobs(&db, 1).await;
        match pending_ids!().for_update().fetch_all(&db).await {
            Err(Error::InvalidValue {
                model: "select",
                reason,
                ..
            }) => {
                assert!(reason.contains("outside a transaction"), "{reason}")
            }
            other => panic!("expected the refusal, got {other:?}"),
        }
        assert_eq!(pending_ids!().fetch_all(&db).await?, [1]);
        Ok::<_, Error>(())
    }
);
