//! Locking reads on real SQLite, PostgreSQL and MariaDB: FOR UPDATE makes
//! another FOR UPDATE wait for the commit (or time out), NOWAIT fails at once
//! with `LockNotAvailable`, SKIP LOCKED leaves locked rows out, FOR SHARE
//! admits another share, and a locking read outside a transaction is refused.
//! SQLite has no row locks: a second transaction waits at its BEGIN IMMEDIATE
//! instead, and inside a transaction the lock methods change nothing.
//! (The job queue over SKIP LOCKED: job_queue.rs; the SQL: row_lock_snapshots.rs.)

use schema_examples::blog::{Post, User};
use schema_examples::jobs::{Job, JobStatus};
use std::future::Future;
use std::time::{Duration, Instant};
use strata::relation::Strategy;
use strata::{sql, Db, Dialect, Error, PoolOptions};
use strata_tests::{backend_tests, url_of};

async fn jobs(db: &Db, n: usize) {
    db.push_schema::<Job>().await.unwrap();
    let jobs = (1..=n).map(|i| Job::create().payload(format!("job {i}")));
    Job::create_many(jobs).exec(db).await.unwrap();
}

// Another pool on the test database, outside `db`'s transactions, whose
// statements wait `lock_timeout` for a lock (each database's default when
// `None`: PostgreSQL forever, MariaDB 50 s, SQLite 5 s).
async fn other(db: &Db, lock_timeout: Option<Duration>) -> Db {
    let options = PoolOptions {
        max_connections: 2,
        lock_timeout,
        ..PoolOptions::default()
    };
    Db::connect_with(&url_of(db), options).await.unwrap()
}

// `future`, failing the test rather than hanging if it waits for a lock.
async fn soon<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("waited 10 s: the statement was blocked by a lock")
}

fn assert_lock_not_available<T: std::fmt::Debug>(result: Result<T, Error>, model: &str) {
    match result {
        Err(e @ Error::LockNotAvailable { .. }) => {
            let Error::LockNotAvailable { model: m, .. } = &e else {
                unreachable!()
            };
            assert_eq!(*m, model);
            assert!(!e.is_retryable(), "NOWAIT asked not to wait: not retried");
            assert!(e.to_string().contains("NOWAIT"), "{e}");
        }
        other => panic!("expected LockNotAvailable on {model}, got {other:?}"),
    }
}

backend_tests!(
    for_update_makes_another_for_update_wait_for_the_commit,
    |db| async move {
        jobs(&db, 2).await;
        let other = other(&db, None).await;
        let t1 = db.begin_transaction().await?;
        let locked = Job::find_by_id(1).for_update().exec_required(&t1).await?;
        assert_eq!(locked.payload, "job 1");
        let started = Instant::now();
        let waiter = tokio::spawn(async move {
            let read = other.transaction(|tx| {
                Box::pin(async move { Job::find_by_id(1).for_update().exec_required(tx).await })
            });
            let read = read.await;
            (read, started.elapsed())
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!waiter.is_finished(), "the second FOR UPDATE did not wait");
        Job::update(Job::by_id(1))
            .payload("changed under the lock")
            .exec(&t1)
            .await?;
        t1.commit().await?;
        let (read, waited) = soon(waiter).await.unwrap();
        // It went on once the lock was released, and read the committed row.
        assert_eq!(read?.payload, "changed under the lock");
        assert!(waited >= Duration::from_millis(500), "{waited:?}");
        Ok::<_, Error>(())
    }
);

backend_tests!(
    a_lock_wait_past_the_lock_timeout_is_a_timeout_not_lock_not_available,
    |db| async move {
        jobs(&db, 1).await;
        // MySQL's lock wait is whole seconds.
        let impatient = other(&db, Some(Duration::from_secs(1))).await;
        let t1 = db.begin_transaction().await?;
        Job::find_by_id(1).for_update().exec(&t1).await?;
        let started = Instant::now();
        let read = impatient.transaction(|tx| {
            Box::pin(async move { Job::find_by_id(1).for_update().exec(tx).await })
        });
        let result = soon(read).await;
        let waited = started.elapsed();
        // PostgreSQL's lock_timeout uses NOWAIT's code 55P03: still a timeout.
        // On SQLite the wait is at BEGIN IMMEDIATE, for the busy timeout.
        assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
        assert!(waited >= Duration::from_millis(900), "{waited:?}");
        t1.rollback().await?;
        Ok::<_, Error>(())
    }
);

backend_tests!(
    nowait_fails_at_once_with_lock_not_available,
    |db| async move {
        jobs(&db, 2).await;
        if db.dialect() == Dialect::Sqlite {
            // No other transaction can hold a lock while this one is open:
            // NOWAIT has nothing to fail on.
            let rows = db
                .transaction(|tx| {
                    Box::pin(async move { Job::find_many().for_update().nowait().exec(tx).await })
                })
                .await?;
            assert_eq!(rows.len(), 2);
            return Ok(());
        }
        // Default lock waits (PostgreSQL: forever; MariaDB: 50 s).
        let other = other(&db, None).await;
        let t1 = db.begin_transaction().await?;
        Job::find_by_id(1).for_update().exec(&t1).await?;

        let t2 = other.begin_transaction().await?;
        let started = Instant::now();
        let result = soon(Job::find_by_id(1).for_update().nowait().exec(&t2)).await;
        assert!(started.elapsed() < Duration::from_secs(2), "NOWAIT waited");
        assert_lock_not_available(result, "Job");
        t2.rollback().await?;

        // A free row is read and locked; a share lock on the held one fails too.
        let t2 = other.begin_transaction().await?;
        let free = soon(Job::find_by_id(2).for_update().nowait().exec(&t2)).await?;
        assert_eq!(free.map(|j| j.id), Some(2));
        let all = Job::find_many()
            .order_by(Job::id().asc())
            .for_share()
            .nowait();
        assert_lock_not_available(soon(all.exec(&t2)).await, "Job");
        t2.rollback().await?;
        t1.rollback().await?;
        Ok::<_, Error>(())
    }
);

// Raw SQL: PostgreSQL's NOWAIT failure is told from a lock timeout by the
// error alone; MariaDB reports it as its lock wait timeout (1205), which
// only a builder that knows it sent NOWAIT can turn into LockNotAvailable.
backend_tests!(
    raw_sql_nowait_is_classified_where_the_error_tells,
    |db| async move {
        if db.dialect() == Dialect::Sqlite {
            return Ok(());
        }
        jobs(&db, 1).await;
        let other = other(&db, None).await;
        let t1 = db.begin_transaction().await?;
        Job::find_by_id(1).for_update().exec(&t1).await?;
        let t2 = other.begin_transaction().await?;
        let raw = sql!("SELECT {Job::id} FROM {Job} WHERE {Job::id} = {1i64} FOR UPDATE NOWAIT");
        let result: Result<Vec<i64>, Error> = soon(raw.fetch_all(t2.db())).await;
        match db.dialect() {
            Dialect::Postgres => assert_lock_not_available(result, "sql!"),
            _ => assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}"),
        }
        t2.rollback().await?;
        t1.rollback().await?;
        Ok::<_, Error>(())
    }
);

backend_tests!(skip_locked_leaves_locked_rows_out, |db| async move {
    jobs(&db, 3).await;
    let pending = || {
        Job::find_many()
            .filter(Job::status().eq(JobStatus::Pending))
            .order_by(Job::id().asc())
    };
    let ids = |jobs: Vec<Job>| jobs.into_iter().map(|j| j.id).collect::<Vec<_>>();
    if db.dialect() == Dialect::Sqlite {
        // Nothing is locked by another transaction: nothing is skipped.
        let rows = db
            .transaction(|tx| {
                Box::pin(async move { pending().for_update().skip_locked().exec(tx).await })
            })
            .await?;
        assert_eq!(ids(rows), [1, 2, 3]);
        return Ok(());
    }
    let other = other(&db, None).await;
    let t1 = db.begin_transaction().await?;
    let claimed = pending().take(1).for_update().exec(&t1).await?;
    assert_eq!(ids(claimed), [1]);

    let t2 = other.begin_transaction().await?;
    let rest = soon(pending().for_update().skip_locked().exec(&t2)).await?;
    assert_eq!(ids(rest), [2, 3]);
    // Its own locks do not hide rows from itself; a third transaction skips both.
    let shared = soon(pending().for_share().skip_locked().exec(&t2)).await?;
    assert_eq!(ids(shared), [2, 3]);
    let t3 = other.begin_transaction().await?;
    let next = soon(pending().take(1).for_update().skip_locked().exec(&t3)).await?;
    assert!(next.is_empty(), "rows 2 and 3 are locked by t2: {next:?}");
    t3.rollback().await?;
    t2.rollback().await?;
    // Once t1 ends, its row is free again.
    t1.rollback().await?;
    let t4 = other.begin_transaction().await?;
    let freed = soon(pending().take(1).for_update().skip_locked().exec(&t4)).await?;
    assert_eq!(ids(freed), [1]);
    t4.rollback().await?;
    Ok::<_, Error>(())
});

backend_tests!(
    for_share_admits_another_share_but_not_an_update,
    |db| async move {
        jobs(&db, 1).await;
        if db.dialect() == Dialect::Sqlite {
            let job = db
                .transaction(|tx| {
                    Box::pin(async move { Job::find_by_id(1).for_share().exec(tx).await })
                })
                .await?;
            assert!(job.is_some());
            return Ok(());
        }
        let other = other(&db, None).await;
        let t1 = db.begin_transaction().await?;
        Job::find_by_id(1).for_share().exec_required(&t1).await?;
        let t2 = other.begin_transaction().await?;
        let shared = soon(Job::find_by_id(1).for_share().nowait().exec(&t2)).await?;
        assert_eq!(
            shared.map(|j| j.id),
            Some(1),
            "a second share lock is granted"
        );
        t2.rollback().await?;
        let t2 = other.begin_transaction().await?;
        let update = Job::find_by_id(1).for_update().nowait().exec(&t2);
        assert_lock_not_available(soon(update).await, "Job");
        t2.rollback().await?;
        t1.rollback().await?;
        Ok::<_, Error>(())
    }
);

// PostgreSQL's FOR NO KEY UPDATE admits a FOR KEY SHARE (a foreign key
// check) but not a FOR SHARE; MySQL/MariaDB write both as their stronger
// locks (FOR UPDATE, LOCK IN SHARE MODE), which conflict.
backend_tests!(for_no_key_update_against_key_share, |db| async move {
    jobs(&db, 1).await;
    if db.dialect() == Dialect::Sqlite {
        let job = db
            .transaction(|tx| {
                Box::pin(async move { Job::find_by_id(1).for_no_key_update().exec(tx).await })
            })
            .await?;
        assert!(job.is_some());
        return Ok(());
    }
    let other = other(&db, None).await;
    let t1 = db.begin_transaction().await?;
    Job::find_by_id(1)
        .for_no_key_update()
        .exec_required(&t1)
        .await?;
    let t2 = other.begin_transaction().await?;
    let key_share = soon(Job::find_by_id(1).for_key_share().nowait().exec(&t2)).await;
    match db.dialect() {
        Dialect::Postgres => {
            assert!(key_share?.is_some());
            let share = Job::find_by_id(1).for_share().nowait().exec(&t2);
            assert_lock_not_available(soon(share).await, "Job");
        }
        _ => assert_lock_not_available(key_share, "Job"),
    }
    t2.rollback().await?;
    t1.rollback().await?;
    Ok::<_, Error>(())
});

backend_tests!(
    a_locking_read_outside_a_transaction_is_refused,
    |db| async move {
        jobs(&db, 1).await;
        let refused = |result: Result<(), Error>| match result {
            Err(Error::InvalidValue {
                model: "Job",
                reason,
                ..
            }) => {
                assert!(reason.contains("outside a transaction"), "{reason}")
            }
            other => panic!("expected the refusal, got {other:?}"),
        };
        refused(Job::find_many().for_update().exec(&db).await.map(drop));
        refused(Job::find_first().for_share().exec(&db).await.map(drop));
        refused(
            Job::find_by_id(1)
                .for_update()
                .nowait()
                .exec(&db)
                .await
                .map(drop),
        );
        refused(
            (Job::find_many()
                .select(Job::id())
                .skip_locked()
                .for_update())
            .exec(&db)
            .await
            .map(drop),
        );
        refused(
            (Job::find_many().omit(Job::payload()).for_key_share())
                .exec(&db)
                .await
                .map(drop),
        );
        // The same reads without a lock run.
        assert_eq!(Job::find_many().exec(&db).await?.len(), 1);
        Ok::<_, Error>(())
    }
);

// A NOWAIT failure in a nested transaction (a savepoint) rolls back to the
// savepoint: the outer transaction goes on, also on PostgreSQL, where the
// error aborts the transaction it happens in.
backend_tests!(
    a_nowait_failure_in_a_savepoint_leaves_the_outer_transaction_usable,
    |db| async move {
        if db.dialect() == Dialect::Sqlite {
            return Ok(());
        }
        jobs(&db, 2).await;
        let other = other(&db, None).await;
        let t1 = db.begin_transaction().await?;
        Job::find_by_id(1).for_update().exec(&t1).await?;
        let t2 = other.begin_transaction().await?;
        let inner = t2.transaction(|sp| {
            Box::pin(async move { Job::find_by_id(1).for_update().nowait().exec(sp).await })
        });
        assert_lock_not_available(soon(inner).await, "Job");
        let next = soon(Job::find_by_id(2).for_update().nowait().exec(&t2)).await?;
        assert_eq!(next.map(|j| j.id), Some(2));
        Job::update(Job::by_id(2))
            .status(JobStatus::Done)
            .exec(&t2)
            .await?;
        t2.commit().await?;
        t1.rollback().await?;
        let done = Job::find_by_id(2).exec_required(&db).await?;
        assert_eq!(done.status, JobStatus::Done);
        Ok::<_, Error>(())
    }
);

// A joined include under FOR UPDATE: PostgreSQL locks only the users (`OF
// "users"`; without it PostgreSQL refuses to lock the lateral join's
// json_agg), and the included posts are read, not locked.
backend_tests!(a_joined_include_locks_the_model_rows, |db| async move {
    db.push_schema::<schema_examples::blog::BlogSchema>()
        .await?;
    let ann = User::create().email("ann@x.io").exec(&db).await?;
    let post = (Post::create().title("p1"))
        .author_id(&ann.id)
        .exec(&db)
        .await?;
    if db.dialect() == Dialect::Sqlite {
        let users = db
            .transaction(|tx| {
                Box::pin(async move {
                    let read = User::find_many().include(User::posts());
                    read.strategy(Strategy::Joined).for_update().exec(tx).await
                })
            })
            .await?;
        assert_eq!(users[0].posts.loaded()?.len(), 1);
        return Ok(());
    }
    let other = other(&db, None).await;
    let t1 = db.begin_transaction().await?;
    let read = User::find_many().include(User::posts());
    let users = read
        .strategy(Strategy::Joined)
        .for_update()
        .exec(&t1)
        .await?;
    assert_eq!(users[0].posts.loaded()?.len(), 1);
    // With a LIMIT the include is a subquery in the select list instead.
    let first = User::find_first().include(User::posts());
    let first = first
        .strategy(Strategy::Joined)
        .for_update()
        .exec(&t1)
        .await?;
    assert_eq!(first.expect("ann").posts.loaded()?.len(), 1);
    let t2 = other.begin_transaction().await?;
    let user = User::find_unique(User::by_id(&ann.id))
        .for_update()
        .nowait();
    assert_lock_not_available(soon(user.exec(&t2)).await, "User");
    t2.rollback().await?;
    let t2 = other.begin_transaction().await?;
    let post = Post::find_by_id(post.id).for_update().nowait().exec(&t2);
    assert!(
        soon(post).await?.is_some(),
        "the included post is not locked"
    );
    t2.rollback().await?;
    t1.rollback().await?;
    Ok::<_, Error>(())
});
