//! Retrying whole transactions on real conflicts: a write skew between two
//! serializable transactions (PostgreSQL: serialization failure; MariaDB:
//! its locking reads deadlock), a deadlock from rows locked in opposite
//! orders (PostgreSQL, MariaDB), and a lock wait given up on (SQLite busy,
//! MariaDB 1205). Two tasks meet at a barrier so the conflict happens every
//! run; only first attempts wait there, so retries run freely.

/// What a transaction body returns (futures' `BoxFuture`).
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use strata::{
    increment, Db, Dialect, Error, Isolation, Model, PoolOptions, RetryPolicy, TransactionOptions,
};
use strata_tests::backend_tests;
use tokio::sync::Barrier;

#[derive(Model, Debug, Clone)]
#[strata(table = "retry_accounts")]
struct Account {
    #[strata(id)]
    id: i64,
    balance: i64,
}

async fn accounts(db: &Db, balances: &[i64]) {
    db.push_schema::<Account>().await.unwrap();
    for (id, balance) in (1..).zip(balances) {
        (Account::create().id(id).balance(*balance))
            .exec(db)
            .await
            .unwrap();
    }
}

async fn balances(db: &Db) -> Vec<i64> {
    let rows = Account::find_many()
        .order_by(Account::id().asc())
        .exec(db)
        .await
        .unwrap();
    rows.into_iter().map(|a| a.balance).collect()
}

fn quick() -> RetryPolicy {
    RetryPolicy::new()
        .max_attempts(5)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(50))
}

fn serializable() -> TransactionOptions {
    TransactionOptions::new().isolation(Isolation::Serializable)
}

/// Doctor `me` goes off call if at least two doctors are on call (balance
/// 1 = on call). Both tasks read before either writes (the barrier, first
/// attempt only): the classic write skew.
async fn go_off_call(
    tx: &Db,
    me: i64,
    barrier: Arc<Barrier>,
    attempts: Arc<AtomicU32>,
) -> Result<(), Error> {
    let attempt = attempts.fetch_add(1, Ordering::SeqCst);
    let on_call = Account::count()
        .filter(Account::balance().eq(1))
        .exec(tx)
        .await?;
    if attempt < 2 {
        // The first attempt of each of the two tasks.
        barrier.wait().await;
    }
    if on_call >= 2 {
        Account::update(Account::by_id(me))
            .balance(0)
            .exec(tx)
            .await?;
    }
    Ok(())
}

/// The write skew's transaction body for doctor `me`.
fn off_call_body(
    me: i64,
    barrier: Arc<Barrier>,
    attempts: Arc<AtomicU32>,
) -> impl for<'t> Fn(&'t Db) -> BoxFuture<'t, Result<(), Error>> + Send + Sync {
    move |tx| {
        let (barrier, attempts) = (barrier.clone(), attempts.clone());
        Box::pin(async move { go_off_call(tx, me, barrier, attempts).await })
    }
}

/// Runs the write skew from two tasks, with or without retry: each task's
/// outcome, and how many attempts ran in all.
async fn write_skew(db: &Db, retry: Option<RetryPolicy>) -> (Vec<Result<(), Error>>, u32) {
    let barrier = Arc::new(Barrier::new(2));
    let attempts = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = [1, 2]
        .map(|me| {
            let db = db.clone();
            let body = off_call_body(me, barrier.clone(), attempts.clone());
            tokio::spawn(async move {
                match retry {
                    Some(policy) => {
                        db.retry(policy)
                            .transaction_with(serializable(), body)
                            .await
                    }
                    None => db.transaction_with(serializable(), body).await,
                }
            })
        })
        .into_iter()
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    (outcomes, attempts.load(Ordering::SeqCst))
}

backend_tests!(
    write_skew_fails_one_serializable_transaction_and_retry_runs_it_again,
    |db| async move {
        if db.dialect() == Dialect::Sqlite {
            // SQLite serializes writers at BEGIN: no skew to provoke.
            return;
        }
        accounts(&db, &[1, 1]).await;
        let (outcomes, attempts) = write_skew(&db, None).await;
        assert_eq!(attempts, 2);
        let failed: Vec<&Error> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
        assert_eq!(failed.len(), 1, "{outcomes:?}");
        // PostgreSQL detects the skew (40001); MariaDB's serializable reads
        // lock, so the two writes deadlock (1213).
        match db.dialect() {
            Dialect::Postgres => assert!(
                matches!(failed[0], Error::SerializationFailure { .. }),
                "{failed:?}"
            ),
            _ => assert!(matches!(failed[0], Error::Deadlock { .. }), "{failed:?}"),
        }
        assert!(failed[0].is_retryable());
        assert_eq!(balances(&db).await.iter().sum::<i64>(), 1);

        // Again with retry: both succeed, the loser on its second attempt,
        // which sees one doctor on call and stays.
        Account::update_many(Account::id().gte(1))
            .balance(1)
            .exec(&db)
            .await
            .unwrap();
        let (outcomes, attempts) = write_skew(&db, Some(quick())).await;
        assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
        // Usually 3; more when the loser's retry reads before the winner
        // commits and collides again (a loaded machine).
        assert!(attempts >= 3, "{attempts} attempts");
        assert_eq!(balances(&db).await.iter().sum::<i64>(), 1);
    }
);

backend_tests!(
    a_deadlock_is_classified_retryable_and_retried,
    |db| async move {
        if db.dialect() == Dialect::Sqlite {
            // SQLite takes its one write lock at BEGIN: no deadlock.
            return;
        }
        accounts(&db, &[0, 0]).await;
        let barrier = Arc::new(Barrier::new(2));
        let attempts = Arc::new(AtomicU32::new(0));
        let seen = Arc::new(Mutex::new(Vec::<(bool, bool)>::new()));
        let errors = Arc::new(Mutex::new(Vec::<String>::new()));
        // Task 1 locks account 1 then 2, adding 1; task 2 locks 2 then 1,
        // adding 100.
        let tasks: Vec<_> = [(1_i64, 2_i64, 1_i64), (2, 1, 100)]
            .map(|(first, second, amount)| {
                let (db, barrier, attempts, seen, errors) = (
                    db.clone(),
                    barrier.clone(),
                    attempts.clone(),
                    seen.clone(),
                    errors.clone(),
                );
                tokio::spawn(async move {
                    db.retry(quick())
                        .transaction(|tx| {
                            let (barrier, attempts, seen, errors) = (
                                barrier.clone(),
                                attempts.clone(),
                                seen.clone(),
                                errors.clone(),
                            );
                            Box::pin(async move {
                                let attempt = attempts.fetch_add(1, Ordering::SeqCst);
                                for (i, id) in [first, second].into_iter().enumerate() {
                                    // In the database, not read-then-write: a
                                    // value read before the other transaction
                                    // commits would overwrite its update.
                                    let written = Account::update(Account::by_id(id))
                                        .balance(increment(amount))
                                        .exec(tx)
                                        .await;
                                    if let Err(e) = &written {
                                        let deadlock = matches!(
                                            e,
                                            Error::Deadlock {
                                                model: "Account",
                                                ..
                                            }
                                        );
                                        seen.lock().unwrap().push((deadlock, e.is_retryable()));
                                        errors.lock().unwrap().push(format!("{e:?}"));
                                    }
                                    written?;
                                    if i == 0 && attempt < 2 {
                                        barrier.wait().await;
                                    }
                                }
                                Ok(())
                            })
                        })
                        .await
                })
            })
            .into_iter()
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let seen = seen.lock().unwrap().clone();
        // One deadlock, usually; under load the victim's retry can take its
        // first lock before the winner, waking, takes it, and deadlock again.
        // Every one is typed, retryable, and cost one more attempt.
        let errors = errors.lock().unwrap().clone();
        assert!(!seen.is_empty(), "no deadlock happened");
        assert!(seen.iter().all(|&s| s == (true, true)), "{errors:?}");
        assert_eq!(attempts.load(Ordering::SeqCst), 2 + seen.len() as u32);
        // Both transactions applied in full, once each.
        assert_eq!(balances(&db).await, [101, 101]);
    }
);

backend_tests!(
    a_lock_wait_given_up_on_is_retried_on_sqlite_and_mariadb,
    |db| async move {
        accounts(&db, &[0]).await;
        let short = Db::connect_with(
            &strata_tests::url_of(&db),
            PoolOptions {
                lock_timeout: Some(Duration::from_millis(200)),
                ..PoolOptions::default()
            },
        )
        .await
        .unwrap();
        let held = strata_tests::hold_write_lock(&db, "retry_accounts", "id", 1).await;
        // Without retry the lock wait gives up, with an error retry would
        // retry (except on PostgreSQL, below).
        let once = short
            .transaction(|tx| {
                Box::pin(async move {
                    Account::update(Account::by_id(1))
                        .balance(7)
                        .exec(tx)
                        .await
                        .map(drop)
                })
            })
            .await;
        assert!(matches!(once, Err(Error::Timeout { .. })), "{once:?}");
        assert_eq!(
            once.unwrap_err().is_retryable(),
            db.dialect() != Dialect::Postgres
        );
        // Let the lock go after a few lock waits (MariaDB's is whole seconds).
        let hold_for = match db.dialect() {
            Dialect::MySql => Duration::from_millis(1500),
            _ => Duration::from_millis(600),
        };
        let release = tokio::spawn(async move {
            tokio::time::sleep(hold_for).await;
            drop(held);
        });
        let attempts = AtomicU32::new(0);
        let policy = RetryPolicy::new()
            .max_attempts(30)
            .base_delay(Duration::from_millis(20))
            .max_delay(Duration::from_millis(200));
        let outcome = short
            .retry(policy)
            .transaction(|tx| {
                attempts.fetch_add(1, Ordering::SeqCst);
                Box::pin(async move {
                    Account::update(Account::by_id(1))
                        .balance(7)
                        .exec(tx)
                        .await
                        .map(drop)
                })
            })
            .await;
        let attempts = attempts.load(Ordering::SeqCst);
        match db.dialect() {
            // PostgreSQL's lock_timeout (55P03, also NOWAIT's code) is not
            // retried: it returns after one attempt, typed as a timeout.
            Dialect::Postgres => {
                assert!(matches!(outcome, Err(Error::Timeout { .. })), "{outcome:?}");
                assert!(!outcome.unwrap_err().is_retryable());
                assert_eq!(attempts, 1);
            }
            _ => {
                outcome.unwrap();
                // SQLite gives up at BEGIN IMMEDIATE, before the body runs;
                // MariaDB at the UPDATE, in the body.
                if db.dialect() == Dialect::MySql {
                    assert!(attempts >= 2, "{attempts} attempts");
                }
                assert_eq!(balances(&db).await, [7]);
            }
        }
        release.await.unwrap();
    }
);

/// A retryable error without a database conflict behind it.
fn synthetic_deadlock() -> Error {
    Error::Deadlock {
        model: "Account",
        source: sqlx::Error::PoolClosed,
    }
}

backend_tests!(
    retries_are_bounded_and_a_savepoint_runs_once,
    |db| async move {
        let attempts = AtomicU32::new(0);
        let outcome: Result<(), Error> = db
            .retry(quick())
            .transaction(|_| {
                attempts.fetch_add(1, Ordering::SeqCst);
                Box::pin(async move { Err(synthetic_deadlock()) })
            })
            .await;
        assert!(
            matches!(outcome, Err(Error::Deadlock { .. })),
            "{outcome:?}"
        );
        assert_eq!(attempts.load(Ordering::SeqCst), 5, "max_attempts(5)");

        // On a transaction's Db the retry would re-run a savepoint of a
        // doomed transaction: it runs once.
        let attempts = Arc::new(AtomicU32::new(0));
        let outcome: Result<(), Error> = db
            .transaction(|tx| {
                let attempts = attempts.clone();
                Box::pin(async move {
                    tx.retry(quick())
                        .transaction(|_| {
                            attempts.fetch_add(1, Ordering::SeqCst);
                            Box::pin(async move { Err(synthetic_deadlock()) })
                        })
                        .await
                })
            })
            .await;
        assert!(outcome.is_err());
        assert_eq!(attempts.load(Ordering::SeqCst), 1);
    }
);
