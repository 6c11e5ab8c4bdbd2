//! Lending a connection to one statement.
//!
//! A pool acquire and release costs about as much as a point query on a local
//! server (BENCHMARKS.md): sqlx's pool does bookkeeping and hands the connection
//! back through its own task. So a pooled [`Conn`] keeps one connection checked
//! out and lends it to whichever statement finds it free; only statements that
//! run concurrently with it go to the pool. A serial workload then pays no
//! acquire at all, and a concurrent one pays what it would have anyway.

use super::pool::PoolOptions;
use super::pool_metrics::{PoolMetrics, Waiting};
use super::transaction::{Pinned, Shared};
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

/// Where statements for one database run.
pub(super) enum Conn<DB: sqlx::Database> {
    Pool(Pooled<DB>),
    /// One dedicated connection (`Db::connect_single`), taken in turn.
    Single(Arc<Mutex<DB::Connection>>),
    /// The connection of an open transaction (`Db::transaction`): every
    /// statement of the transaction's `Db` runs on it, in turn.
    Tx(Shared<DB>),
}

impl<DB: sqlx::Database> Clone for Conn<DB> {
    fn clone(&self) -> Self {
        match self {
            Conn::Pool(p) => Conn::Pool(p.clone()),
            Conn::Single(c) => Conn::Single(c.clone()),
            Conn::Tx(t) => Conn::Tx(t.clone()),
        }
    }
}

impl<DB: sqlx::Database> std::fmt::Debug for Conn<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conn::Pool(p) => f.debug_tuple("Pool").field(&p.pool).finish(),
            Conn::Single(_) => f.write_str("Single"),
            Conn::Tx(_) => f.write_str("Transaction"),
        }
    }
}

pub(super) struct Pooled<DB: sqlx::Database> {
    pub(super) pool: sqlx::Pool<DB>,
    cached: Arc<Mutex<Option<Cached<DB>>>>,
    limits: Limits,
    metrics: Arc<PoolMetrics>,
}

impl<DB: sqlx::Database> Clone for Pooled<DB> {
    fn clone(&self) -> Self {
        Pooled {
            pool: self.pool.clone(),
            cached: self.cached.clone(),
            limits: self.limits,
            metrics: self.metrics.clone(),
        }
    }
}

/// The pool's own limits, applied to the cached connection too, so it is
/// recycled like any other.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    idle_timeout: Option<Duration>,
    max_lifetime: Option<Duration>,
    max_uses: Option<u32>,
    /// Pings the cached connection before each lend, as sqlx pings an idle
    /// connection before handing it out.
    test_before_acquire: bool,
}

impl Limits {
    pub(super) fn of(options: &PoolOptions) -> Self {
        Limits {
            idle_timeout: options.idle_timeout,
            max_lifetime: options.max_lifetime,
            max_uses: options.max_uses.map(|n| n.max(1)),
            test_before_acquire: options.test_before_acquire,
        }
    }
}

pub(super) struct Cached<DB: sqlx::Database> {
    connection: sqlx::pool::PoolConnection<DB>,
    acquired: Instant,
    last_used: Instant,
    /// Lends so far, for `max_uses`.
    uses: u32,
    /// Failed at the transport level: replaced before it is lent again.
    broken: bool,
}

impl<DB: sqlx::Database> Pooled<DB> {
    pub(super) fn new(pool: sqlx::Pool<DB>, limits: Limits, metrics: Arc<PoolMetrics>) -> Self {
        Pooled {
            pool,
            cached: Arc::new(Mutex::new(None)),
            limits,
            metrics,
        }
    }

    pub(super) fn metrics(&self) -> &PoolMetrics {
        &self.metrics
    }

    /// Whether the cached connection is open and no statement holds it.
    pub(super) fn cached_is_free(&self) -> bool {
        self.cached.try_lock().is_ok_and(|slot| slot.is_some())
    }

    /// Returns the cached connection to the pool and closes the pool (which
    /// waits for every lent connection).
    pub(super) async fn close(&self) {
        self.cached.lock().await.take();
        self.pool.close().await;
    }

    /// Whether the cached connection may be lent as it is (without a ping).
    fn is_fresh(&self, cached: &Cached<DB>) -> bool {
        let limits = &self.limits;
        if cached.broken || limits.max_uses.is_some_and(|max| cached.uses >= max) {
            return false;
        }
        if limits.idle_timeout.is_none() && limits.max_lifetime.is_none() {
            return true;
        }
        let now = Instant::now();
        !(limits
            .idle_timeout
            .is_some_and(|t| now.duration_since(cached.last_used) >= t)
            || limits
                .max_lifetime
                .is_some_and(|t| now.duration_since(cached.acquired) >= t))
    }

    /// Takes out of `slot` a cached connection that may not be lent again:
    /// one that served `max_uses` is closed (as sqlx closes one past its
    /// lifetime), the others go back to the pool, which closes them if they
    /// are past its limits.
    fn evict(&self, slot: &mut Option<Cached<DB>>) {
        if let Some(mut cached) = slot.take() {
            if self.limits.max_uses.is_some_and(|max| cached.uses >= max) {
                cached.connection.close_on_drop();
                self.metrics.record_recycled();
            }
        }
    }

    /// With `test_before_acquire`, pings the cached connection; one that does
    /// not answer is closed, and the caller fills the slot afresh.
    async fn test(&self, slot: &mut Option<Cached<DB>>) {
        if let Some(cached) = slot.as_mut() {
            // Marked broken for the length of the ping: a lease cancelled
            // mid-ping leaves a connection mid-exchange, which must not be
            // lent again (see `Lent`).
            cached.broken = true;
            match sqlx::Connection::ping(&mut *cached.connection).await {
                Ok(()) => cached.broken = false,
                Err(_) => {
                    cached.connection.close_on_drop();
                    slot.take();
                }
            }
        }
    }

    /// The lease's slow path: waits for the cached connection (or a pooled
    /// one, whichever comes first) when another statement holds it, refills
    /// it when it is empty or spent, pings it if asked to.
    async fn lease_slow(
        &self,
        slot: Option<OwnedMutexGuard<Option<Cached<DB>>>>,
    ) -> Result<Lease<DB>, sqlx::Error> {
        let mut slot = match slot {
            Some(slot) => slot,
            // Another statement holds the cached connection: take whichever
            // comes first, a pooled one or the cached one. (Waiting on the
            // pool alone could starve a pool whose every connection is the
            // cached one.)
            None => tokio::select! {
                pooled_connection = acquire(&self.pool) => {
                    return Ok(Lease::Pooled(pooled_connection?));
                }
                slot = self.cached.clone().lock_owned() => slot,
            },
        };
        if slot.as_ref().is_some_and(|c| !self.is_fresh(c)) {
            self.evict(&mut slot);
        } else if self.limits.test_before_acquire {
            self.test(&mut slot).await;
        }
        if slot.is_none() {
            let now = Instant::now();
            *slot = Some(Cached {
                connection: acquire(&self.pool).await?,
                acquired: now,
                last_used: now,
                uses: 0,
                broken: false,
            });
        }
        match OwnedMutexGuard::try_map(slot, Option::as_mut) {
            Ok(cached) => Ok(self.lend_cached(cached)),
            // Just filled above; should the slot be empty anyway, use the pool.
            Err(_) => Ok(Lease::Pooled(acquire(&self.pool).await?)),
        }
    }

    fn lend_cached(&self, mut cached: CachedGuard<DB>) -> Lease<DB> {
        cached.uses = cached.uses.saturating_add(1);
        Lease::Cached(cached, self.cached.clone())
    }
}

type CachedGuard<DB> = OwnedMappedMutexGuard<Option<Cached<DB>>, Cached<DB>>;

/// A connection lent to one statement; derefs to the driver's connection.
pub(super) enum Lease<DB: sqlx::Database> {
    /// The cached connection, and the slot it sits in (to empty it when the
    /// connection is discarded; see [`Lease::discard`]).
    Cached(
        OwnedMappedMutexGuard<Option<Cached<DB>>, Cached<DB>>,
        Arc<Mutex<Option<Cached<DB>>>>,
    ),
    Pooled(sqlx::pool::PoolConnection<DB>),
    Single(OwnedMutexGuard<DB::Connection>),
    /// The connection of an open transaction.
    Pinned(OwnedMappedMutexGuard<Option<Pinned<DB>>, Pinned<DB>>),
}

/// Lends the cached connection if no other statement holds it, else one from the
/// pool (or waits for the dedicated connection).
pub(super) async fn lease<DB: sqlx::Database>(conn: &Conn<DB>) -> Result<Lease<DB>, sqlx::Error> {
    lease_timed(conn).await.map(|(lease, _)| lease)
}

/// [`lease`], and how long it waited for a pool connection (zero when the
/// cached connection was free, and for a dedicated or transaction
/// connection, which are not the pool's).
async fn lease_timed<DB: sqlx::Database>(
    conn: &Conn<DB>,
) -> Result<(Lease<DB>, Duration), sqlx::Error> {
    let pooled = match conn {
        Conn::Single(c) => {
            return Ok((Lease::Single(c.clone().lock_owned().await), Duration::ZERO));
        }
        Conn::Tx(shared) => {
            return shared
                .lend()
                .await
                .map(|l| (Lease::Pinned(l), Duration::ZERO))
        }
        Conn::Pool(p) => p,
    };
    // The fast path, most statements of a serial workload: the cached
    // connection is free and fit to lend, so no clock is read for the metrics.
    let slot = match pooled.cached.clone().try_lock_owned() {
        Ok(slot) => {
            let ready = !pooled.limits.test_before_acquire
                && slot.as_ref().is_some_and(|c| pooled.is_fresh(c));
            if !ready {
                Some(slot)
            } else {
                match OwnedMutexGuard::try_map(slot, Option::as_mut) {
                    Ok(cached) => {
                        pooled.metrics.record_immediate();
                        return Ok((pooled.lend_cached(cached), Duration::ZERO));
                    }
                    Err(slot) => Some(slot),
                }
            }
        }
        Err(_) => None,
    };
    let start = Instant::now();
    let waiting = Waiting::start(&pooled.metrics);
    let result = pooled.lease_slow(slot).await;
    drop(waiting);
    let waited = start.elapsed();
    match &result {
        Ok(_) => pooled.metrics.record_wait(waited),
        Err(sqlx::Error::PoolTimedOut) => pooled.metrics.record_timeout(),
        Err(_) => {}
    }
    result.map(|lease| (lease, waited))
}

/// A connection lent to one statement by [`lend`]. If the statement's future
/// is dropped before it finished (a timeout, an aborted task), a MySQL
/// connection is left mid-exchange: sqlx's MySQL driver does not recover
/// from that, and the next round trip on it (sqlx's own check when it goes
/// back to the pool, or strata's rollback) can wait forever, holding a pool
/// slot (tests/tests/cancellation.rs wedged a pool this way). So such a
/// connection is closed instead of lent again. PostgreSQL's and SQLite's
/// drivers finish the interrupted exchange before the next one and keep it.
pub(super) struct Lent<DB: sqlx::Database> {
    lease: Lease<DB>,
    finished: bool,
    waited: Duration,
}

/// [`lease`] for one statement: see [`Lent`].
pub(super) async fn lend<DB: sqlx::Database>(conn: &Conn<DB>) -> Result<Lent<DB>, sqlx::Error> {
    let (lease, waited) = lease_timed(conn).await?;
    Ok(Lent {
        lease,
        finished: false,
        waited,
    })
}

impl<DB: sqlx::Database> Lent<DB> {
    /// How long this statement waited for a pool connection: zero when it
    /// found the cached connection free (no clock read). For the per-query
    /// span's pool wait.
    #[allow(dead_code)] // read by the query span once execute/mod.rs records it
    pub(super) fn waited(&self) -> Duration {
        self.waited
    }

    /// Ends the lease after `result` (see [`Lease::finish`]).
    pub(super) fn finish<T>(&mut self, result: &Result<T, sqlx::Error>) {
        self.finished = true;
        self.lease.finish(result);
    }
}

impl<DB: sqlx::Database> Drop for Lent<DB> {
    fn drop(&mut self) {
        if !self.finished && DB::NAME == <sqlx::MySql as sqlx::Database>::NAME {
            self.lease.discard();
        }
    }
}

impl<DB: sqlx::Database> Deref for Lent<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.lease
    }
}

impl<DB: sqlx::Database> DerefMut for Lent<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.lease
    }
}

/// A connection from the pool, on the heap: sqlx's acquire future is over 8 KB
/// (release build, PostgreSQL), and held inline it made every statement's
/// future that size, copied several times per query. Only the paths that
/// really go to the pool pay for the box.
fn acquire<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
) -> Pin<Box<dyn Future<Output = Result<sqlx::pool::PoolConnection<DB>, sqlx::Error>> + Send + '_>>
{
    Box::pin(pool.acquire())
}

impl<DB: sqlx::Database> Lease<DB> {
    /// Ends the lease after `result`: a connection that failed at the transport
    /// level is not lent again.
    pub(super) fn finish<T>(&mut self, result: &Result<T, sqlx::Error>) {
        let broken = match result {
            Err(
                sqlx::Error::Io(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed,
            ) => true,
            // SQLSTATE class 57P: the server ended the session
            // (`pg_terminate_backend`, a shutdown); its FATAL error is the
            // last thing the connection says.
            Err(sqlx::Error::Database(e)) => e.code().is_some_and(|code| code.starts_with("57P")),
            _ => false,
        };
        match self {
            Lease::Cached(cached, _) => {
                cached.broken = broken;
                cached.last_used = Instant::now();
            }
            Lease::Pinned(pinned) => pinned.lease.finish(result),
            Lease::Pooled(_) | Lease::Single(_) => {}
        }
    }

    /// Makes sure this connection is never lent again, for one left in an
    /// unknown state (a BEGIN interrupted half-way): a pooled one is closed
    /// instead of going back to the pool. A dedicated connection cannot be
    /// replaced and is kept.
    pub(super) fn discard(&mut self) {
        match self {
            Lease::Cached(cached, slot) => {
                cached.broken = true;
                cached.connection.close_on_drop();
                empty_when_released(slot.clone());
            }
            Lease::Pooled(c) => c.close_on_drop(),
            Lease::Pinned(pinned) => pinned.discard(),
            Lease::Single(_) => {}
        }
    }
}

/// Drops a discarded cached connection as soon as its lease lets go of the
/// slot, closing it, rather than at the next statement's lease: a
/// connection left inside a BEGIN whose answer never arrived would
/// otherwise sit "idle in transaction" on the server until then, possibly
/// for good (tests/tests/cancellation.rs saw it). Outside a tokio runtime
/// the next lease replaces it, as before.
fn empty_when_released<DB: sqlx::Database>(slot: Arc<Mutex<Option<Cached<DB>>>>) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            let mut slot = slot.lock().await;
            if slot.as_ref().is_some_and(|cached| cached.broken) {
                slot.take();
            }
        });
    }
}

impl<DB: sqlx::Database> Deref for Lease<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        match self {
            Lease::Cached(cached, _) => &cached.connection,
            Lease::Pooled(c) => c,
            Lease::Single(c) => c,
            Lease::Pinned(pinned) => &pinned.lease,
        }
    }
}

impl<DB: sqlx::Database> DerefMut for Lease<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            Lease::Cached(cached, _) => &mut cached.connection,
            Lease::Pooled(c) => c,
            Lease::Single(c) => c,
            Lease::Pinned(pinned) => &mut pinned.lease,
        }
    }
}
