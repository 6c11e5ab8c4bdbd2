//! The transaction core: statements that depend on each other's results run on
//! one connection between BEGIN and COMMIT, and roll back together.
//!
//! [`begin`] leases a connection the usual way (`lease.rs`), begins on it and
//! parks it in a [`Shared`] slot. The transaction's own [`Db`](super::Db)
//! holds that slot as its `Conn::Tx`, so every builder's `exec(&tx)` runs on
//! the pinned connection without knowing it is in a transaction (MySQL's
//! read-back after a write included). A `begin` on a transaction's `Db` opens
//! a SAVEPOINT on the same connection.
//!
//! Each level (the transaction, or a savepoint in it) is a [`Level`] guard.
//! `commit` and `rollback` end it; dropping it open — an error path, or the
//! whole future dropped mid-way — queues the rollback on the connection
//! (sqlx's `start_rollback`, sent before the connection's next statement,
//! wherever it goes next), so a connection never goes back to the `Db` or the
//! pool inside a transaction. A BEGIN interrupted half-way leaves the
//! connection in an unknown state: it is closed instead of being lent again.
//!
//! What BEGIN says (isolation, read-only, PostgreSQL's SET LOCAL timeouts)
//! comes from a [`BeginPlan`] (`tx_options.rs`). A transaction with a
//! timeout keeps its deadline here: statements lent the connection after it
//! fail with [`Expired`], which `classify` turns into
//! `Error::TransactionTimeout`.

use super::lease::{lease, Conn, Lease};
use super::tenant_session::Began;
use super::tx_options::BeginPlan;
use super::{trace_query, trusted};
use sqlx::{Database, SqlSafeStr as _};
use sqlx_core::transaction::{
    begin_ansi_transaction_sql, commit_ansi_transaction_sql, rollback_ansi_transaction_sql,
    TransactionManager,
};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

/// The connection of an open transaction, shared by the transaction's `Db`
/// and its clones. Empty once the transaction has ended.
pub(crate) struct Shared<DB: Database> {
    slot: Arc<Mutex<Option<Pinned<DB>>>>,
    /// How many levels (the transaction and its savepoints) are open. Kept
    /// here rather than read from the driver: SQLite's worker thread updates
    /// its own count only when it gets to a queued rollback.
    levels: Arc<AtomicUsize>,
    /// Set when a savepoint was abandoned in a state that could not be
    /// rolled back (its connection busy, or its SAVEPOINT half sent): the
    /// transaction must not commit.
    poisoned: Arc<AtomicBool>,
    /// When the transaction's timeout runs out, and the timeout.
    deadline: Option<(Instant, Duration)>,
    /// The tenant it began as, which its statements must share
    /// (tenant_session.rs).
    began: Began,
}

impl<DB: Database> Clone for Shared<DB> {
    fn clone(&self) -> Self {
        Shared {
            slot: Arc::clone(&self.slot),
            levels: Arc::clone(&self.levels),
            poisoned: Arc::clone(&self.poisoned),
            deadline: self.deadline,
            began: self.began.clone(),
        }
    }
}

/// A leased connection inside a transaction.
pub(crate) struct Pinned<DB: Database> {
    pub(super) lease: Lease<DB>,
    /// Whether the outermost BEGIN completed.
    begun: bool,
    /// Closed when released rather than lent again (a statement interrupted
    /// mid-exchange): its rollback is the server's, when the socket closes.
    discarded: bool,
}

impl<DB: Database> Pinned<DB> {
    /// Closes the connection when the transaction releases it; see `discarded`.
    pub(super) fn discard(&mut self) {
        self.discarded = true;
        self.lease.discard();
    }

    /// Queues the rollback of every level still open, sent before the
    /// connection runs anything else. The driver's depth may be stale on
    /// SQLite (see `Shared::levels`), but only ever too high, and a
    /// rollback queued with no transaction open does nothing; queued once,
    /// the driver's depth is 0 and a second call queues nothing.
    fn queue_rollbacks(&mut self) {
        if !self.begun {
            self.lease.discard();
            return;
        }
        let depth = DB::TransactionManager::get_transaction_depth(&self.lease);
        for _ in 0..depth {
            DB::TransactionManager::start_rollback(&mut self.lease);
        }
    }
}

impl<DB: Database> Drop for Pinned<DB> {
    fn drop(&mut self) {
        self.queue_rollbacks();
    }
}

/// A transaction abandoned open (its future dropped, its handle dropped
/// uncommitted): its rollback is queued and then sent at once, on a task of
/// its own, rather than before the connection's next statement. A queued
/// rollback alone left the server's session "idle in transaction" with its
/// row locks held until the connection next ran something — for the
/// connection a pooled `Db` keeps checked out, possibly never (seen in
/// tests/tests/cancellation.rs: a cancelled transaction's locks outlived
/// it). Outside a tokio runtime the rollback stays queued.
fn roll_back_now<DB: Database>(mut pinned: Pinned<DB>) {
    /// How long an abandoned transaction's rollback may take before its
    /// connection is closed instead (the server then rolls back).
    const ROLLBACK_WAIT: Duration = Duration::from_secs(5);
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        pinned.queue_rollbacks();
        if pinned.begun && !pinned.discarded {
            // A round trip flushes what was queued (and drains a statement
            // dropped in flight); a connection that fails it, or does not
            // answer, is not lent again.
            let ping = sqlx::Connection::ping(&mut *pinned.lease);
            if !matches!(tokio::time::timeout(ROLLBACK_WAIT, ping).await, Ok(Ok(()))) {
                pinned.discard();
            }
        }
    });
}

/// What a statement gets once its transaction's timeout has passed;
/// `classify` reads it as `Error::TransactionTimeout`.
#[derive(Debug)]
pub(crate) struct Expired {
    pub(crate) timeout: Duration,
}

impl std::fmt::Display for Expired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the transaction's timeout of {:?} has passed",
            self.timeout
        )
    }
}

impl std::error::Error for Expired {}

/// What a statement on a transaction that has already ended gets.
fn ended() -> sqlx::Error {
    sqlx::Error::Configuration(
        "this transaction has ended: its Db cannot be used after the transaction returns".into(),
    )
}

type PinnedGuard<DB> = OwnedMappedMutexGuard<Option<Pinned<DB>>, Pinned<DB>>;

impl<DB: Database> Shared<DB> {
    /// The pinned connection for one statement; statements take turns. Past
    /// the transaction's deadline, or from another tenant's scope than the
    /// one it began in, it is refused.
    pub(super) async fn lend(&self) -> Result<PinnedGuard<DB>, sqlx::Error> {
        self.began.check()?;
        let pinned = self.lend_any().await?;
        self.check_deadline()?;
        Ok(pinned)
    }

    /// The pinned connection, deadline or not: for COMMIT and ROLLBACK.
    async fn lend_any(&self) -> Result<PinnedGuard<DB>, sqlx::Error> {
        let guard = Arc::clone(&self.slot).lock_owned().await;
        OwnedMutexGuard::try_map(guard, Option::as_mut).map_err(|_| ended())
    }

    /// The transaction's timeout, once it has passed.
    fn expired(&self) -> Option<Duration> {
        self.deadline
            .filter(|(at, _)| Instant::now() >= *at)
            .map(|(_, timeout)| timeout)
    }

    /// [`Expired`] once the transaction's timeout has passed.
    fn check_deadline(&self) -> Result<(), sqlx::Error> {
        match self.expired() {
            Some(timeout) => Err(sqlx::Error::Configuration(Box::new(Expired { timeout }))),
            None => Ok(()),
        }
    }

    fn levels(&self) -> usize {
        self.levels.load(Ordering::Acquire)
    }

    fn set_levels(&self, levels: usize) {
        self.levels.store(levels, Ordering::Release);
    }
}

/// After a COMMIT or ROLLBACK that failed: a connection the server has
/// ended (PostgreSQL's `idle_in_transaction_session_timeout` kills the
/// session: 25P03, then a reset socket) or that failed below SQL is closed
/// rather than lent again. A database error about the transaction itself (a
/// serialization failure at COMMIT) leaves a usable connection.
fn settle<DB: Database>(lease: &mut Lease<DB>, result: &Result<(), sqlx::Error>) {
    lease.finish(result);
    let ended = match result {
        Ok(()) => false,
        Err(sqlx::Error::Database(e)) => e.code().is_some_and(|code| {
            code == "25P03" || code.starts_with("57P") || code.starts_with("08")
        }),
        Err(_) => true,
    };
    if ended {
        lease.discard();
    }
}

/// One level of a transaction: the transaction itself (`depth` 1) or a
/// savepoint inside it. Rolled back if dropped while open.
pub(crate) struct Level<DB: Database> {
    shared: Shared<DB>,
    depth: usize,
    /// Whether its BEGIN or SAVEPOINT completed.
    begun: bool,
    open: bool,
}

/// How a transaction begins: its statements, how long to wait for its
/// connection, how long it may run, and the tenant it begins as (a
/// savepoint's is its transaction's).
pub(super) struct BeginWith {
    pub(super) plan: BeginPlan,
    pub(super) max_wait: Option<Duration>,
    pub(super) timeout: Option<Duration>,
    pub(super) began: Began,
}

/// `waiting`, cut off after `max_wait` with sqlx's pool timeout.
async fn within<T>(
    max_wait: Option<Duration>,
    waiting: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    match max_wait {
        None => waiting.await,
        Some(wait) => tokio::time::timeout(wait, waiting)
            .await
            .unwrap_or(Err(sqlx::Error::PoolTimedOut)),
    }
}

/// Runs one fixed statement of a [`BeginPlan`] (simple protocol: nothing
/// to prepare or cache) and traces it.
async fn run_fixed<DB: Database>(conn: &mut DB::Connection, sql: &str) -> Result<(), sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let start = Instant::now();
    sqlx::raw_sql(trusted(sql)).execute(conn).await?;
    trace_query(sql, start, None);
    Ok(())
}

/// Begins a transaction on a connection of `conn`, or a savepoint if `conn`
/// is already a transaction's, as `with` says.
pub(super) async fn begin<DB: Database>(
    conn: &Conn<DB>,
    with: BeginWith,
) -> Result<(Shared<DB>, Level<DB>), sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let BeginWith {
        plan,
        max_wait,
        timeout,
        began,
    } = with;
    let shared = match conn {
        Conn::Tx(shared) => shared.clone(),
        Conn::Pool(_) | Conn::Single(_) => {
            let lease = within(max_wait, lease(conn)).await?;
            Shared {
                slot: Arc::new(Mutex::new(Some(Pinned {
                    lease,
                    begun: false,
                    discarded: false,
                }))),
                levels: Arc::new(AtomicUsize::new(0)),
                poisoned: Arc::new(AtomicBool::new(false)),
                // The clock starts once the connection is there: waiting for
                // it is `max_wait`'s.
                deadline: timeout.map(|t| (Instant::now() + t, t)),
                began,
            }
        }
    };
    let mut pinned = within(max_wait, shared.lend()).await?;
    let depth = shared.levels() + 1;
    // The level exists before its BEGIN or SAVEPOINT does, so a future
    // dropped half-way still cleans up.
    let mut level = Level {
        shared: shared.clone(),
        depth,
        begun: false,
        open: true,
    };
    let start = Instant::now();
    let (custom, traced) = match plan.begin {
        Some(sql) if depth == 1 => (
            Some(trusted(&sql).into_sql_str()),
            trusted(&sql).into_sql_str(),
        ),
        _ => (None, begin_ansi_transaction_sql(depth - 1)),
    };
    DB::TransactionManager::begin(&mut pinned.lease, custom).await?;
    pinned.begun = true;
    level.begun = true;
    shared.set_levels(depth);
    trace_query(traced.as_str(), start, None);
    // PostgreSQL's SET LOCAL timeouts; the level is open, so a failure or a
    // drop here rolls it back.
    for sql in &plan.after {
        run_fixed::<DB>(&mut pinned.lease, sql).await?;
    }
    drop(pinned);
    Ok((shared, level))
}

impl<DB: Database> Level<DB> {
    fn is_outermost(&self) -> bool {
        self.depth == 1
    }

    /// The transaction's timeout, once it has passed.
    pub(super) fn expired(&self) -> Option<Duration> {
        self.shared.expired()
    }

    /// Commits the transaction (or releases the savepoint). A transaction
    /// with an abandoned savepoint inside is rolled back instead, with an
    /// error.
    pub(super) async fn commit(mut self) -> Result<(), sqlx::Error> {
        let start = Instant::now();
        let mut pinned = self.shared.lend_any().await?;
        if self.shared.poisoned.load(Ordering::Acquire) || self.shared.levels() != self.depth {
            drop(pinned);
            // `self` drops open: the rollback is queued.
            return Err(sqlx::Error::Configuration(
                "a savepoint inside this transaction was abandoned half-way; the transaction was rolled back".into(),
            ));
        }
        let committed = DB::TransactionManager::commit(&mut pinned.lease).await;
        settle(&mut pinned.lease, &committed);
        committed?;
        self.shared.set_levels(self.depth - 1);
        drop(pinned);
        trace_query(
            commit_ansi_transaction_sql(self.depth).as_str(),
            start,
            None,
        );
        self.close().await;
        Ok(())
    }

    /// Rolls the transaction (or savepoint) back, with any savepoint inside
    /// it still open.
    pub(super) async fn rollback(mut self) -> Result<(), sqlx::Error> {
        let start = Instant::now();
        let mut pinned = self.shared.lend_any().await?;
        let levels = self.shared.levels();
        if levels >= self.depth {
            for _ in self.depth..=levels {
                let rolled_back = DB::TransactionManager::rollback(&mut pinned.lease).await;
                settle(&mut pinned.lease, &rolled_back);
                rolled_back?;
                self.shared.set_levels(self.shared.levels() - 1);
            }
        }
        drop(pinned);
        trace_query(
            rollback_ansi_transaction_sql(self.depth).as_str(),
            start,
            None,
        );
        self.close().await;
        Ok(())
    }

    /// After COMMIT or ROLLBACK: the outermost level gives its connection
    /// back (to the `Db`'s cache, the pool or the dedicated slot).
    async fn close(&mut self) {
        self.open = false;
        if self.is_outermost() {
            let pinned = self.shared.slot.lock().await.take();
            drop(pinned);
        }
    }
}

impl<DB: Database> Drop for Level<DB> {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        let Ok(mut slot) = self.shared.slot.try_lock() else {
            // A statement from a clone of the transaction's `Db` holds the
            // connection. The outermost level's connection is rolled back
            // when the last clone lets go of it (`Pinned`'s drop); a savepoint
            // cannot be, so its transaction must not commit.
            self.shared.poisoned.store(true, Ordering::Release);
            return;
        };
        if self.is_outermost() {
            if let Some(pinned) = slot.take() {
                roll_back_now(pinned);
            }
            return;
        }
        let levels = self.shared.levels();
        match slot.as_mut() {
            Some(pinned) if self.begun && levels >= self.depth => {
                for _ in self.depth..=levels {
                    DB::TransactionManager::start_rollback(&mut pinned.lease);
                }
                self.shared.set_levels(self.depth - 1);
            }
            // A SAVEPOINT that may or may not have run.
            _ => self.shared.poisoned.store(true, Ordering::Release),
        }
    }
}
