//! Concurrency under contention (issue 7, item 9): 64 tasks at once on a
//! pool of 16, invariants checked at the end, on SQLite, PostgreSQL and
//! MariaDB. SQLite runs its writers one at a time (`BEGIN IMMEDIATE`), so
//! there the tests show correctness, not parallelism.
//!
//! - Money moves between 6 accounts, once under SERIALIZABLE with
//!   `db.retry(..)` (a read-then-write that only the isolation level keeps
//!   from losing updates), once with the two rows locked `FOR UPDATE` in id
//!   order: the total never changes and no balance goes below zero (a CHECK
//!   constraint, and the final read).
//! - Buyers reserve stock with the row locked `FOR UPDATE`: no unit is sold
//!   twice (the optimistic variant is tests/tests/optimistic.rs,
//!   `inventory_reservation_never_oversells`).
//! - 64 upserts of one key: one row, no error, its counter at 64.

mod concurrency_support;

use concurrency_support::XorShift;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata::{
    increment, Db, Error, Isolation, Model, PoolOptions, RetryPolicy, TransactionOptions,
};
use strata_tests::{backend_tests, url_of};

const TASKS: usize = 64;
const ACCOUNTS: i64 = 6;
const OPENING: i64 = 50;

#[derive(Model, Debug, Clone)]
#[strata(table = "contention_accounts")]
struct Account {
    #[strata(id)]
    id: i64,
    #[strata(check = "balance >= 0")]
    balance: i64,
}

#[derive(Model, Debug, Clone)]
#[strata(table = "contention_stock")]
struct Stock {
    #[strata(id)]
    id: i64,
    #[strata(check = "units >= 0")]
    units: i64,
    reserved: i64,
}

#[derive(Model, Debug, Clone)]
#[strata(table = "contention_hits")]
struct Hit {
    #[strata(id)]
    key: String,
    hits: i64,
}

/// A pool with room for a quarter of the tasks at once, and a lock wait
/// that ends a leaked lock's wait with an error rather than a hang.
async fn pool(db: &Db) -> Db {
    let options = PoolOptions {
        max_connections: 16,
        lock_timeout: Some(Duration::from_secs(10)),
        ..PoolOptions::default()
    };
    Db::connect_with(&url_of(db), options).await.unwrap()
}

fn patient() -> RetryPolicy {
    RetryPolicy::new()
        .max_attempts(100)
        .base_delay(Duration::from_millis(2))
        .max_delay(Duration::from_millis(100))
}

#[derive(Debug, Clone, Copy)]
struct Payment {
    from: i64,
    to: i64,
    amount: i64,
}

/// 64 payments between random accounts, some larger than what their payer
/// will have (those are refused).
fn payments() -> Vec<Payment> {
    let mut rng = XorShift::new(0xBA1A_4CE5);
    (0..TASKS)
        .map(|_| {
            let from = 1 + rng.below(ACCOUNTS as u64) as i64;
            let to = 1 + (from + rng.below(ACCOUNTS as u64 - 1) as i64) % ACCOUNTS;
            Payment {
                from,
                to,
                amount: 1 + rng.below(40) as i64,
            }
        })
        .collect()
}

/// Pays if the payer can afford it: reads the payer's balance, then writes
/// the new one. `lock` reads both rows `FOR UPDATE`, in id order;
/// without it only the isolation level stops two payers from both
/// spending the same balance.
async fn pay(tx: &Db, p: Payment, lock: bool) -> Result<bool, Error> {
    let payer = if lock {
        let both = Account::find_many()
            .filter(Account::id().in_([p.from, p.to]))
            .order_by(Account::id().asc())
            .for_update()
            .exec(tx)
            .await?;
        both.into_iter().find(|a| a.id == p.from).expect("payer")
    } else {
        Account::find_unique(Account::by_id(p.from))
            .exec_required(tx)
            .await?
    };
    // Let the other payers run between this read and the write below, so
    // the race the isolation level or the lock must stop happens.
    tokio::time::sleep(Duration::from_millis(1)).await;
    if payer.balance < p.amount {
        return Ok(false);
    }
    Account::update(Account::by_id(p.from))
        .balance(payer.balance - p.amount)
        .exec(tx)
        .await?;
    Account::update(Account::by_id(p.to))
        .balance(increment(p.amount))
        .exec(tx)
        .await?;
    Ok(true)
}

/// Runs the 64 payments at once; checks the invariants and returns (paid,
/// attempts).
async fn run_payments(db: &Db, lock: bool) -> (usize, u32) {
    Account::delete_many().exec(db).await.unwrap();
    for id in 1..=ACCOUNTS {
        (Account::create().id(id).balance(OPENING))
            .exec(db)
            .await
            .unwrap();
    }
    let pool = pool(db).await;
    let attempts = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = payments()
        .into_iter()
        .map(|p| {
            let (pool, attempts) = (pool.clone(), attempts.clone());
            tokio::spawn(async move {
                let options = if lock {
                    TransactionOptions::new()
                } else {
                    TransactionOptions::new().isolation(Isolation::Serializable)
                };
                pool.retry(patient())
                    .transaction_with(options, |tx| {
                        let attempts = attempts.clone();
                        Box::pin(async move {
                            attempts.fetch_add(1, Ordering::SeqCst);
                            pay(tx, p, lock).await
                        })
                    })
                    .await
            })
        })
        .collect();
    let mut paid = 0;
    for task in tasks {
        paid += usize::from(task.await.unwrap().expect("a payment failed"));
    }
    let accounts = Account::find_many().exec(db).await.unwrap();
    let balances: Vec<i64> = accounts.iter().map(|a| a.balance).collect();
    assert_eq!(
        balances.iter().sum::<i64>(),
        OPENING * ACCOUNTS,
        "money was made or lost: {balances:?}"
    );
    assert!(balances.iter().all(|b| *b >= 0), "{balances:?}");
    assert!(paid > 0, "no payment went through");
    pool.close().await;
    (paid, attempts.load(Ordering::SeqCst))
}

backend_tests!(
    serializable_payments_with_retry_keep_the_total,
    |db| async move {
        db.push_schema::<Account>().await.unwrap();
        let started = Instant::now();
        let (paid, attempts) = run_payments(&db, false).await;
        eprintln!(
            "{:?} SERIALIZABLE + retry: {TASKS} payments, {paid} paid, {} refused, {attempts} \
             attempts ({} retried), {:?}",
            db.dialect(),
            TASKS - paid,
            attempts as usize - TASKS,
            started.elapsed()
        );
        assert!(attempts as usize >= TASKS);
    }
);

backend_tests!(
    payments_locking_both_rows_for_update_keep_the_total,
    |db| async move {
        db.push_schema::<Account>().await.unwrap();
        let started = Instant::now();
        let (paid, attempts) = run_payments(&db, true).await;
        eprintln!(
            "{:?} FOR UPDATE in id order: {TASKS} payments, {paid} paid, {} refused, {attempts} \
             attempts ({} retried), {:?}",
            db.dialect(),
            TASKS - paid,
            attempts as usize - TASKS,
            started.elapsed()
        );
        assert!(attempts as usize >= TASKS);
    }
);

/// One buyer: locks the stock row, takes a unit if one is left.
async fn reserve_locked(db: &Db, id: i64) -> Result<bool, Error> {
    db.transaction(|tx| {
        Box::pin(async move {
            let stock = Stock::find_unique(Stock::by_id(id))
                .for_update()
                .exec_required(tx)
                .await?;
            if stock.units == 0 {
                return Ok(false);
            }
            Stock::update(Stock::by_id(id))
                .units(stock.units - 1)
                .reserved(stock.reserved + 1)
                .exec(tx)
                .await?;
            Ok(true)
        })
    })
    .await
}

backend_tests!(
    inventory_reserved_for_update_never_oversells,
    |db| async move {
        db.push_schema::<Stock>().await.unwrap();
        let pool = pool(&db).await;
        // Fewer units than buyers, and more.
        for (id, units) in [(1_i64, 40_i64), (2, 100)] {
            (Stock::create().id(id).units(units).reserved(0))
                .exec(&db)
                .await
                .unwrap();
            let started = Instant::now();
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let pool = pool.clone();
                    tokio::spawn(async move { reserve_locked(&pool, id).await })
                })
                .collect();
            let mut sold = 0;
            for task in tasks {
                sold += i64::from(task.await.unwrap().expect("a reservation failed"));
            }
            let expected = units.min(TASKS as i64);
            let stock = Stock::find_unique(Stock::by_id(id))
                .exec_required(&db)
                .await
                .unwrap();
            assert_eq!(sold, expected, "every buyer who got one was counted");
            assert_eq!(stock.reserved, expected, "no reservation was lost");
            assert_eq!(stock.units, units - expected, "no unit was sold twice");
            eprintln!(
                "{:?} FOR UPDATE: {TASKS} buyers, stock {units}: {sold} sold, {:?}",
                db.dialect(),
                started.elapsed()
            );
        }
        pool.close().await;
    }
);

backend_tests!(
    sixty_four_upserts_of_one_key_make_one_row,
    |db| async move {
        db.push_schema::<Hit>().await.unwrap();
        let pool = pool(&db).await;
        let started = Instant::now();
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    Hit::upsert(
                        Hit::by_key("home"),
                        Hit::create().key("home").hits(1),
                        Hit::changes().hits(increment(1)),
                    )
                    .exec(&pool)
                    .await
                })
            })
            .collect();
        let mut errors = Vec::new();
        for task in tasks {
            if let Err(e) = task.await.unwrap() {
                errors.push(e);
            }
        }
        assert!(errors.is_empty(), "an upsert failed: {errors:?}");
        let rows = Hit::find_many().exec(&db).await.unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].hits, TASKS as i64, "one insert, 63 increments");
        eprintln!(
            "{:?}: {TASKS} concurrent upserts in {:?}",
            db.dialect(),
            started.elapsed()
        );
        pool.close().await;
    }
);
