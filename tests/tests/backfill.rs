//! Batched, resumable backfills on every database: a run killed mid-batch
//! resumes and updates every row exactly once; batches follow the batch size
//! and pause; empty tables, key gaps, uuid and text keys; the SQL form; and
//! the keys and names a backfill refuses.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use strata::migrate::backfill::{Backfill, BackfillReport};
use strata::{increment, Db, Dialect, Error, Model};
use strata_tests::{backend_tests, url_of};
use tokio::sync::Notify;

#[derive(Model, Debug, Clone)]
#[strata(table = "counters")]
struct Counter {
    #[strata(id)]
    id: i64,
    hits: i32,
}

#[derive(Model, Debug, Clone)]
#[strata(table = "uuid_counters")]
struct UuidCounter {
    #[strata(id)]
    id: uuid::Uuid,
    hits: i32,
}

#[derive(Model, Debug, Clone)]
#[strata(table = "text_counters")]
struct TextCounter {
    #[strata(id)]
    code: String,
    hits: i32,
}

#[derive(Model, Debug, Clone)]
#[strata(table = "pairs", id(fields(left, right)))]
struct Pair {
    left: i64,
    right: i64,
}

/// Counters with the given ids, every `hits` at 0.
async fn seed(db: &Db, ids: impl IntoIterator<Item = i64>) {
    db.push_schema::<Counter>().await.unwrap();
    let rows: Vec<_> = ids
        .into_iter()
        .map(|id| Counter::create().id(id).hits(0))
        .collect();
    if !rows.is_empty() {
        Counter::create_many(rows).exec(db).await.unwrap();
    }
}

/// How many counters have `hits == n`.
async fn with_hits(db: &Db, n: i32) -> u64 {
    let count = Counter::count().filter(Counter::hits().eq(n));
    count.exec(db).await.unwrap() as u64
}

/// The backfill every test runs: `hits + 1` for the batch's keys.
async fn increment_all(
    db: &Db,
    backfill: Backfill<Counter, i64>,
) -> strata::Result<BackfillReport> {
    backfill
        .run(db, |tx, batch| {
            Box::pin(async move {
                Counter::update_many(Counter::id().in_(batch.into_keys()))
                    .hits(increment(1))
                    .exec(tx)
                    .await
            })
        })
        .await
}

fn counters(name: &str) -> Backfill<Counter, i64> {
    Backfill::new(name, Counter::id()).progress(false)
}

const ROWS: i64 = 2000;
const BATCH: u32 = 150;
/// ceil(2000 / 150).
const BATCHES: u64 = 14;
const KILLED_AT: u64 = 5;

backend_tests!(
    a_backfill_killed_mid_batch_resumes_and_updates_every_row_once,
    |db| async move {
        seed(&db, 1..=ROWS).await;
        let url = url_of(&db);
        let reached = Arc::new(Notify::new());
        let release = Arc::new(Notify::new());
        let stopped_once = Arc::new(AtomicBool::new(false));
        let backfill = counters("counters_hits").batch_size(BATCH);
        let (r, l, s) = (reached.clone(), release.clone(), stopped_once.clone());
        let run = backfill.run(&db, move |tx, batch| {
            let (reached, release, stopped) = (r.clone(), l.clone(), s.clone());
            Box::pin(async move {
                let number = batch.number();
                let updated = Counter::update_many(Counter::id().in_(batch.into_keys()))
                    .hits(increment(1))
                    .exec(tx)
                    .await?;
                // Batch 5 has run its UPDATE and waits, its transaction
                // open, for the outside to kill it.
                if number == KILLED_AT && !stopped.swap(true, Ordering::SeqCst) {
                    reached.notify_one();
                    release.notified().await;
                }
                Ok(updated)
            })
        });
        // Boxed, so that dropping it drops the run itself.
        let mut run = Box::pin(run);
        tokio::select! {
            result = &mut run => panic!("the backfill ended before batch {KILLED_AT}: {result:?}"),
            () = reached.notified() => {}
        }
        match db.dialect() {
            // SQLite has no server to drop the connection: the process
            // itself dying mid-batch is the crash. Dropping the run's future
            // here stops it inside batch 5 just as a crash would; its
            // transaction never commits and is rolled back, as SQLite's
            // journal rolls back a crashed process's write.
            Dialect::Sqlite => drop(run),
            Dialect::Postgres | Dialect::MySql => {
                assert_eq!(kill_open_transaction(&url, db.dialect()).await, 1);
                release.notify_one();
                let result = run.await;
                assert!(
                    matches!(result, Err(Error::Database(_))),
                    "a killed connection fails the run: {result:?}"
                );
            }
        }
        let committed = (KILLED_AT - 1) * u64::from(BATCH);
        assert_eq!(with_hits(&db, 1).await, committed, "batches 1-4 committed");
        assert_eq!(
            with_hits(&db, 0).await,
            ROWS as u64 - committed,
            "batch 5 rolled back"
        );

        let report = increment_all(&db, counters("counters_hits").batch_size(BATCH)).await?;
        assert_eq!(
            with_hits(&db, 1).await,
            ROWS as u64,
            "every row updated once"
        );
        assert!(report.resumed && !report.already_finished, "{report:?}");
        assert_eq!(report.batches, BATCHES - (KILLED_AT - 1), "{report:?}");
        assert_eq!(report.rows, ROWS as u64 - committed);
        assert_eq!(report.updated, report.rows);
        assert_eq!(report.total_batches, BATCHES);
        assert_eq!(report.total_rows, ROWS as u64);
        assert_eq!(report.last_key.as_deref(), Some("2000"));
        assert!(report.finished_at.is_some());

        let again = increment_all(&db, counters("counters_hits")).await?;
        assert!(again.already_finished, "{again:?}");
        assert_eq!(
            (again.batches, again.rows, again.total_rows),
            (0, 0, ROWS as u64)
        );
        assert_eq!(
            with_hits(&db, 1).await,
            ROWS as u64,
            "a finished backfill is a no-op"
        );

        let restarted =
            increment_all(&db, counters("counters_hits").batch_size(500).restart()).await?;
        assert!(!restarted.resumed && !restarted.already_finished);
        assert_eq!((restarted.batches, restarted.total_rows), (4, ROWS as u64));
        assert_eq!(
            with_hits(&db, 2).await,
            ROWS as u64,
            "restart runs every row again"
        );
        Ok::<_, Error>(())
    }
);

/// Ends, from a second connection, the one session of the test database
/// that has a transaction open; returns how many it ended.
async fn kill_open_transaction(url: &str, dialect: Dialect) -> usize {
    use sqlx::{Connection as _, Row as _};
    match dialect {
        Dialect::Postgres => {
            let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
            let killed = sqlx::query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid() \
                 AND state LIKE 'idle in transaction%'",
            )
            .fetch_all(&mut admin)
            .await
            .unwrap();
            killed.len()
        }
        Dialect::MySql => {
            let mut admin = sqlx::MySqlConnection::connect(url).await.unwrap();
            let ids: Vec<i64> = sqlx::query(
                "SELECT p.ID FROM information_schema.PROCESSLIST p \
                 JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID \
                 WHERE p.DB = DATABASE() AND p.ID <> CONNECTION_ID()",
            )
            .fetch_all(&mut admin)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<i64, _>(0))
            .collect();
            for id in &ids {
                // An integer the server gave us: nothing to inject.
                let kill = format!("KILL {id}");
                sqlx::query(sqlx::AssertSqlSafe(kill))
                    .execute(&mut admin)
                    .await
                    .unwrap();
            }
            ids.len()
        }
        Dialect::Sqlite => unreachable!("SQLite has no connection to kill"),
    }
}

backend_tests!(
    batches_follow_the_batch_size_and_the_pause,
    |db| async move {
        seed(&db, 1..=250).await;
        let events = capture_backfill_events(async {
            increment_all(
                &db,
                counters("paced")
                    .batch_size(100)
                    .pause(Duration::from_millis(40)),
            )
            .await
        })
        .await;
        let (report, lines) = (events.0?, events.1);
        assert_eq!((report.batches, report.rows, report.updated), (3, 250, 250));
        assert!(
            report.elapsed >= Duration::from_millis(80),
            "two pauses between three batches: {:?}",
            report.elapsed
        );
        let field = |line: &str, name: &str| -> String {
            let start = line.find(&format!(" {name}=")).map(|i| i + name.len() + 2);
            let rest = &line[start.unwrap_or_else(|| panic!("no {name} in {line}"))..];
            rest.split(' ')
                .next()
                .unwrap_or_default()
                .trim_matches('"')
                .to_owned()
        };
        let batches: Vec<(String, String, String)> = (lines.iter())
            .map(|l| (field(l, "batch"), field(l, "rows"), field(l, "last_key")))
            .collect();
        let expected = [("1", "100", "100"), ("2", "100", "200"), ("3", "50", "250")];
        let expected: Vec<_> = (expected.iter())
            .map(|(b, r, k)| (b.to_string(), r.to_string(), k.to_string()))
            .collect();
        assert_eq!(batches, expected, "one event per batch: {lines:#?}");
        assert!(lines
            .iter()
            .all(|l| l.contains("name=\"paced\"") || l.contains("name=paced")));
        assert!(lines.iter().all(|l| l.contains("elapsed_ms=")));
        assert_eq!(with_hits(&db, 1).await, 250);

        // A table that divides into whole batches: the batch after the last
        // finds no keys and only marks the backfill finished.
        let whole = increment_all(&db, counters("whole").batch_size(50)).await?;
        assert_eq!((whole.batches, whole.rows), (5, 250));
        assert!(whole.finished_at.is_some());
        assert_eq!(with_hits(&db, 2).await, 250);
        Ok::<_, Error>(())
    }
);

/// Runs `body` with the `strata::backfill` events it emits captured as
/// formatted lines.
///
/// Through one process-wide subscriber that writes each event into the
/// emitting thread's buffer, not a subscriber set as this thread's default:
/// tracing caches each callsite's interest for the whole process, and with
/// the other backends' tests setting and dropping their own defaults on
/// other threads, a CI run lost the first batch's event to a stale cache.
/// Each test runs on a current-thread runtime, so its events are emitted on
/// its own thread.
async fn capture_backfill_events<T>(body: impl Future<Output = T>) -> (T, Vec<String>) {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| ThreadCapture)
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
    });
    CAPTURE.with(|c| c.borrow_mut().clear());
    let output = body.await;
    let bytes = CAPTURE.with(|c| std::mem::take(&mut *c.borrow_mut()));
    let text = String::from_utf8(bytes).unwrap();
    let lines = (text.lines())
        .filter(|l| l.contains("strata::backfill"))
        .map(str::to_owned)
        .collect();
    (output, lines)
}

thread_local! {
    /// What the process-wide subscriber wrote for events of this thread.
    static CAPTURE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

struct ThreadCapture;

impl std::io::Write for ThreadCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| c.borrow_mut().extend_from_slice(bytes));
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

backend_tests!(an_empty_table_finishes_without_a_batch, |db| async move {
    seed(&db, []).await;
    let called = Arc::new(AtomicBool::new(false));
    let seen = called.clone();
    let report = counters("empty")
        .run(&db, move |_tx, _batch| {
            seen.store(true, Ordering::SeqCst);
            Box::pin(async { Ok(0) })
        })
        .await?;
    assert!(!called.load(Ordering::SeqCst), "no batch, no update call");
    assert_eq!((report.batches, report.total_rows), (0, 0));
    assert!(report.finished_at.is_some() && report.last_key.is_none());
    Ok::<_, Error>(())
});

backend_tests!(keys_with_gaps_are_walked_in_order, |db| async move {
    // 500 keys, sparse and irregular: i² + i % 3, with negatives first.
    let ids: Vec<i64> = (-50..450).map(|i: i64| i * i.abs() + i % 3).collect();
    seed(&db, ids.clone()).await;
    let report = increment_all(&db, counters("gaps").batch_size(64)).await?;
    assert_eq!((report.batches, report.rows, report.updated), (8, 500, 500));
    assert_eq!(with_hits(&db, 1).await, 500);
    let max = ids.iter().max().copied().unwrap_or_default();
    assert_eq!(report.last_key, Some(max.to_string()));
    Ok::<_, Error>(())
});

/// Backfills the 300 rows of `$model` over `$key` in batches of 64, adding
/// one to each row's `hits`, and checks that every row was counted once.
macro_rules! each_row_once {
    ($db:expr, $name:literal, $model:ident, $key:ident) => {{
        let report = Backfill::new($name, $model::$key())
            .batch_size(64)
            .progress(false)
            .run(&$db, |tx, batch| {
                Box::pin(async move {
                    $model::update_many($model::$key().in_(batch.into_keys()))
                        .hits(increment(1))
                        .exec(tx)
                        .await
                })
            })
            .await?;
        assert_eq!((report.batches, report.rows), (5, 300));
        let once = $model::count()
            .filter($model::hits().eq(1))
            .exec(&$db)
            .await?;
        assert_eq!(once, 300);
    }};
}

backend_tests!(uuid_and_text_keys, |db| async move {
    db.push_schema::<(UuidCounter, TextCounter)>().await?;
    let uuids = (0..300).map(|i| {
        UuidCounter::create()
            .id(uuid::Uuid::from_u128(i * 7919 + 1))
            .hits(0)
    });
    UuidCounter::create_many(uuids.collect::<Vec<_>>())
        .exec(&db)
        .await?;
    let codes = (0..300).map(|i| {
        TextCounter::create()
            .code(format!("c{:x}-{i}", i * 31))
            .hits(0)
    });
    TextCounter::create_many(codes.collect::<Vec<_>>())
        .exec(&db)
        .await?;

    each_row_once!(db, "uuids", UuidCounter, id);
    each_row_once!(db, "codes", TextCounter, code);
    Ok::<_, Error>(())
});

backend_tests!(the_sql_form_binds_each_batch_key_range, |db| async move {
    let ids: Vec<i64> = (0..500).map(|i| i * 3 + 1).collect();
    seed(&db, ids).await;
    let sql = match db.dialect() {
        Dialect::Postgres => {
            r#"UPDATE "counters" SET "hits" = "hits" + 1 WHERE "id" BETWEEN $1 AND $2"#
        }
        Dialect::Sqlite => {
            r#"UPDATE "counters" SET "hits" = "hits" + 1 WHERE "id" BETWEEN ? AND ?"#
        }
        Dialect::MySql => "UPDATE `counters` SET `hits` = `hits` + 1 WHERE `id` BETWEEN ? AND ?",
    };
    let report = counters("sql_form")
        .batch_size(120)
        .run_sql(&db, sql)
        .await?;
    assert_eq!((report.batches, report.rows, report.updated), (5, 500, 500));
    assert_eq!(
        with_hits(&db, 1).await,
        500,
        "each range held exactly its batch"
    );
    Ok::<_, Error>(())
});

backend_tests!(keys_and_names_a_backfill_refuses, |db| async move {
    db.push_schema::<(Pair, Counter)>().await?;
    Pair::create().left(1).right(2).exec(&db).await?;
    let refused = Backfill::new("pairs", Pair::left())
        .run(&db, |_tx, _batch| Box::pin(async { Ok(0) }))
        .await;
    let Err(Error::Backfill { name, reason }) = refused else {
        panic!("a composite key is refused: {refused:?}");
    };
    assert_eq!(name, "pairs");
    assert!(
        reason.starts_with(
            "Pair.left is not a single-column key of Pair (its primary key is (left, right))"
        ),
        "{reason}"
    );

    let not_a_key = Backfill::new("by_hits", Counter::hits())
        .run(&db, |_tx, _batch| Box::pin(async { Ok(0) }))
        .await;
    assert!(
        matches!(&not_a_key, Err(Error::Backfill { reason, .. }) if reason.starts_with("Counter.hits is not a single-column key of Counter")),
        "{not_a_key:?}"
    );

    // A name recorded for one table does not resume on another.
    increment_all(&db, counters("shared_name")).await?;
    let elsewhere = Backfill::new("shared_name", UuidCounter::id())
        .run(&db, |_tx, _batch| Box::pin(async { Ok(0) }))
        .await;
    assert!(
        matches!(&elsewhere, Err(Error::Backfill { reason, .. }) if reason.contains("its record is for counters.id, but this run walks uuid_counters.id")),
        "{elsewhere:?}"
    );
    Ok::<_, Error>(())
});

backend_tests!(
    two_runs_of_one_backfill_never_repeat_a_batch,
    |db| async move {
        seed(&db, 1..=300).await;
        let in_batch_one = Arc::new(Notify::new());
        let go_on = Arc::new(Notify::new());
        let (reached, release) = (in_batch_one.clone(), go_on.clone());
        // The first run stops in batch 1, its update done and uncommitted.
        let first = counters("twice")
            .batch_size(100)
            .run(&db, move |tx, batch| {
                let (reached, release) = (reached.clone(), release.clone());
                Box::pin(async move {
                    let number = batch.number();
                    let updated = Counter::update_many(Counter::id().in_(batch.into_keys()))
                        .hits(increment(1))
                        .exec(tx)
                        .await?;
                    if number == 1 {
                        reached.notify_one();
                        release.notified().await;
                    }
                    Ok(updated)
                })
            });
        let second = async {
            in_batch_one.notified().await;
            // The second run reads the record (no batch committed yet) and
            // begins batch 1 too: on PostgreSQL and MySQL its update waits
            // for the first run's row locks, on SQLite its BEGIN waits for
            // the first run's write lock. Then the first run commits.
            let second = increment_all(&db, counters("twice").batch_size(100));
            let release = async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                go_on.notify_one();
            };
            tokio::join!(second, release).0
        };
        let (first, second) = tokio::join!(first, second);
        let first = first?;
        assert_eq!((first.batches, first.total_rows), (3, 300), "{first:?}");
        let Err(Error::Backfill { reason, .. }) = &second else {
            panic!("the second run stops: {second:?}");
        };
        assert!(
            reason.starts_with("another run of this backfill committed batch 1 first"),
            "{reason}"
        );
        assert_eq!(
            with_hits(&db, 1).await,
            300,
            "the second run's batch rolled back"
        );
        Ok::<_, Error>(())
    }
);
