//! Lending a connection to one statement.
//!
//! A pool acquire and release costs about as much as a point query on a local
//! server (BENCHMARKS.md): sqlx's pool does bookkeeping and hands the connection
//! back through its own task. So a pooled [`Conn`] keeps one connection checked
//! out and lends it to whichever statement finds it free; only statements that
//! run concurrently with it go to the pool. A serial workload then pays no
//! acquire at all, and a concurrent one pays what it would have anyway.

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
    /// The pool's own limits, applied to the cached connection too, so it is
    /// recycled like any other.
    idle_timeout: Option<Duration>,
    max_lifetime: Option<Duration>,
}

impl<DB: sqlx::Database> Clone for Pooled<DB> {
    fn clone(&self) -> Self {
        Pooled {
            pool: self.pool.clone(),
            cached: self.cached.clone(),
            idle_timeout: self.idle_timeout,
            max_lifetime: self.max_lifetime,
        }
    }
}

pub(super) struct Cached<DB: sqlx::Database> {
    connection: sqlx::pool::PoolConnection<DB>,
    acquired: Instant,
    last_used: Instant,
    /// Failed at the transport level: replaced before it is lent again.
    broken: bool,
}

impl<DB: sqlx::Database> Pooled<DB> {
    pub(super) fn new(
        pool: sqlx::Pool<DB>,
        idle_timeout: Option<Duration>,
        max_lifetime: Option<Duration>,
    ) -> Self {
        Pooled {
            pool,
            cached: Arc::new(Mutex::new(None)),
            idle_timeout,
            max_lifetime,
        }
    }

    /// Returns the cached connection to the pool and closes the pool (which
    /// waits for every lent connection).
    pub(super) async fn close(&self) {
        self.cached.lock().await.take();
        self.pool.close().await;
    }

    fn is_stale(&self, cached: &Cached<DB>) -> bool {
        let now = Instant::now();
        cached.broken
            || self
                .idle_timeout
                .is_some_and(|t| now.duration_since(cached.last_used) >= t)
            || self
                .max_lifetime
                .is_some_and(|t| now.duration_since(cached.acquired) >= t)
    }
}

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
    let pooled = match conn {
        Conn::Single(c) => return Ok(Lease::Single(c.clone().lock_owned().await)),
        Conn::Tx(shared) => return shared.lend().await.map(Lease::Pinned),
        Conn::Pool(p) => p,
    };
    let mut slot = match pooled.cached.clone().try_lock_owned() {
        Ok(slot) => slot,
        // Another statement holds the cached connection: take whichever comes
        // first, a pooled one or the cached one. (Waiting on the pool alone
        // could starve a pool whose every connection is the cached one.)
        Err(_) => tokio::select! {
            pooled_connection = acquire(&pooled.pool) => {
                return Ok(Lease::Pooled(pooled_connection?));
            }
            slot = pooled.cached.clone().lock_owned() => slot,
        },
    };
    if slot.as_ref().is_some_and(|c| pooled.is_stale(c)) {
        slot.take();
    }
    if slot.is_none() {
        let now = Instant::now();
        *slot = Some(Cached {
            connection: acquire(&pooled.pool).await?,
            acquired: now,
            last_used: now,
            broken: false,
        });
    }
    match OwnedMutexGuard::try_map(slot, Option::as_mut) {
        Ok(cached) => Ok(Lease::Cached(cached, pooled.cached.clone())),
        // Just filled above; should the slot be empty anyway, use the pool.
        Err(_) => Ok(Lease::Pooled(acquire(&pooled.pool).await?)),
    }
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
}

/// [`lease`] for one statement: see [`Lent`].
pub(super) async fn lend<DB: sqlx::Database>(conn: &Conn<DB>) -> Result<Lent<DB>, sqlx::Error> {
    Ok(Lent {
        lease: lease(conn).await?,
        finished: false,
    })
}

impl<DB: sqlx::Database> Lent<DB> {
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
