//! Shared by the cancellation and contention tests: a seeded random source
//! (no new dependency), a way to drop a future after a given number of
//! suspensions, and a look from outside the pool at what the server says
//! about the test database's sessions and locks.
#![allow(dead_code)] // each test file uses its own part

use sqlx::{AssertSqlSafe, Connection as _, Executor as _};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::str::FromStr as _;
use std::task::Poll;
use std::time::{Duration, Instant};
use strata::{Db, Dialect};

/// xorshift64*: a seeded, reproducible random source.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Polls `fut` until it has been suspended `pendings` times, then drops it
/// where it stands; its output if it finished first. Each suspension is a
/// wait for a connection, a lock or a server reply, so a count picks a point
/// inside the transaction more finely than a timer's millisecond can.
pub async fn cancel_after_pendings<F: Future>(fut: F, pendings: u32) -> Option<F::Output> {
    let mut fut = pin!(fut);
    let mut seen = 0;
    poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Ready(output) => Poll::Ready(Some(output)),
        Poll::Pending if seen >= pendings => Poll::Ready(None),
        Poll::Pending => {
            seen += 1;
            Poll::Pending
        }
    })
    .await
}

/// What the server shows of the test database from a session of its own.
#[derive(Debug, PartialEq, Eq)]
pub struct ServerView {
    /// Other sessions on the database inside a transaction (or running).
    pub busy_sessions: i64,
    /// Locks granted to other sessions on the database (PostgreSQL only).
    pub granted_locks: i64,
    /// Tables a `FOR UPDATE NOWAIT` of every row could not lock (SQLite:
    /// the database, if `BEGIN IMMEDIATE` could not take its write lock).
    pub locked_tables: Vec<String>,
}

impl ServerView {
    pub fn is_quiet(&self) -> bool {
        self.busy_sessions == 0 && self.granted_locks == 0 && self.locked_tables.is_empty()
    }
}

/// Looks at the test database from outside `db`'s pool, on a connection of
/// its own, until it is quiet or `patience` has passed (a connection going
/// back to sqlx's pool is flushed by a task of its own, a moment later).
/// Returns the last view.
pub async fn outside_view(db: &Db, url: &str, tables: &[&str], patience: Duration) -> ServerView {
    let until = Instant::now() + patience;
    loop {
        let view = look(db.dialect(), url, tables).await;
        if view.is_quiet() || Instant::now() >= until {
            return view;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn look(dialect: Dialect, url: &str, tables: &[&str]) -> ServerView {
    match dialect {
        Dialect::Postgres => {
            let mut conn = sqlx::PgConnection::connect(url).await.expect("observer");
            let busy_sessions: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND pid <> pg_backend_pid() AND state <> 'idle'",
            )
            .fetch_one(&mut conn)
            .await
            .expect("pg_stat_activity");
            let granted_locks: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE a.datname = current_database() AND l.pid <> pg_backend_pid() AND l.granted",
            )
            .fetch_one(&mut conn)
            .await
            .expect("pg_locks");
            let mut locked_tables = Vec::new();
            for table in tables {
                let mut tx = conn.begin().await.expect("BEGIN");
                // A test's own table name, never user input.
                let probe = format!("SELECT 1 FROM \"{table}\" FOR UPDATE NOWAIT");
                if tx.fetch_all(AssertSqlSafe(probe)).await.is_err() {
                    locked_tables.push(table.to_string());
                }
                tx.rollback().await.expect("ROLLBACK");
            }
            ServerView {
                busy_sessions,
                granted_locks,
                locked_tables,
            }
        }
        Dialect::MySql => {
            let mut conn = sqlx::MySqlConnection::connect(url).await.expect("observer");
            // A session running a statement, or holding an InnoDB transaction.
            let running: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE() \
                 AND id <> CONNECTION_ID() AND command <> 'Sleep'",
            )
            .fetch_one(&mut conn)
            .await
            .expect("processlist");
            let in_transaction: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.innodb_trx t \
                 JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id \
                 WHERE p.db = DATABASE() AND p.id <> CONNECTION_ID()",
            )
            .fetch_one(&mut conn)
            .await
            .expect("innodb_trx");
            let mut locked_tables = Vec::new();
            for table in tables {
                let mut tx = conn.begin().await.expect("BEGIN");
                let probe = format!("SELECT 1 FROM `{table}` FOR UPDATE NOWAIT");
                if tx.fetch_all(AssertSqlSafe(probe)).await.is_err() {
                    locked_tables.push(table.to_string());
                }
                tx.rollback().await.expect("ROLLBACK");
            }
            ServerView {
                busy_sessions: running + in_transaction,
                granted_locks: 0,
                locked_tables,
            }
        }
        Dialect::Sqlite => {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                .expect("sqlite url")
                .busy_timeout(Duration::from_millis(50));
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .expect("observer");
            let mut locked_tables = Vec::new();
            if conn.execute("BEGIN IMMEDIATE").await.is_ok() {
                conn.execute("ROLLBACK").await.expect("ROLLBACK");
            } else {
                locked_tables.push("(database write lock)".to_string());
            }
            ServerView {
                busy_sessions: 0,
                granted_locks: 0,
                locked_tables,
            }
        }
    }
}
