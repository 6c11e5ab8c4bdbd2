//! Lending a connection to one statement.
//!
//! A pool acquire and release costs about as much as a point query on a local
//! server (BENCHMARKS.md): sqlx's pool does bookkeeping and pings every
//! released connection from a task of its own. So a pooled [`Conn`] keeps the
//! connections it has used checked out, in slots (`lease/slots.rs`), and lends
//! each to whichever statement finds it free: a serial workload always gets
//! the first one and pays no acquire at all, and concurrent statements take
//! the next ones, going to sqlx's pool only to open or replace a connection.

use super::pool_metrics::Waiting;
use super::transaction::{Pinned, Shared};
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard, OwnedSemaphorePermit};

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

mod slots;

use slots::{Cached, Slot};
pub(super) use slots::{Limits, Pooled};

type CachedGuard<DB> = OwnedMappedMutexGuard<Option<Cached<DB>>, Cached<DB>>;

/// A connection lent to one statement; derefs to the driver's connection.
pub(super) enum Lease<DB: sqlx::Database> {
    /// A pooled `Db`'s connection, the slot it sits in (to empty it when the
    /// connection is discarded; see [`Lease::discard`]) and the permit that
    /// counts it among the statements holding one (released last).
    Cached(
        CachedGuard<DB>,
        Slot<DB>,
        #[allow(dead_code)] // held for its drop
        OwnedSemaphorePermit,
    ),
    Single(OwnedMutexGuard<DB::Connection>),
    /// The connection of an open transaction.
    Pinned(OwnedMappedMutexGuard<Option<Pinned<DB>>, Pinned<DB>>),
}

/// Lends a pooled `Db`'s first free connection (see `lease/slots.rs`), or
/// waits for the dedicated connection or the transaction's.
pub(super) async fn lease<DB: sqlx::Database>(conn: &Conn<DB>) -> Result<Lease<DB>, sqlx::Error> {
    lease_timed(conn).await.map(|(lease, _)| lease)
}

/// [`lease`], and how long it waited for a pool connection (zero when slot
/// 0's was free, and for a dedicated or transaction connection, which are
/// not the pool's).
async fn lease_timed<DB: sqlx::Database>(
    conn: &Conn<DB>,
) -> Result<(Lease<DB>, Duration), sqlx::Error> {
    match lease_now(conn) {
        Ok(lease) => Ok((lease, Duration::ZERO)),
        Err(taken) => lease_waiting(conn, taken).await,
    }
}

/// [`lease_timed`] past [`lease_now`], with what that took.
async fn lease_waiting<DB: sqlx::Database>(
    conn: &Conn<DB>,
    (permit, held): Taken<DB>,
) -> Result<(Lease<DB>, Duration), sqlx::Error> {
    let pooled = match conn {
        Conn::Single(c) => {
            return Ok((Lease::Single(c.clone().lock_owned().await), Duration::ZERO))
        }
        Conn::Tx(shared) => {
            return shared
                .lend()
                .await
                .map(|l| (Lease::Pinned(l), Duration::ZERO))
        }
        Conn::Pool(p) => p,
    };
    let slots = &*pooled.slots;
    let start = Instant::now();
    let waiting = Waiting::start(&slots.metrics);
    let result = pooled.lease_slow(permit, held).await;
    drop(waiting);
    let waited = start.elapsed();
    match &result {
        Ok(_) => slots.metrics.record_wait(waited),
        Err(sqlx::Error::PoolTimedOut) => slots.metrics.record_timeout(),
        Err(_) => {}
    }
    result.map(|(cached, slot, permit)| (Lease::Cached(cached, slot, permit), waited))
}

/// What [`lease_now`] took before it found it must wait: the pool's permit
/// and slot 0, if it got them, handed on to the waiting path.
type Taken<DB> = (
    Option<OwnedSemaphorePermit>,
    Option<OwnedMutexGuard<Option<Cached<DB>>>>,
);

/// The lease a statement gets without waiting, most statements of a serial
/// workload: the dedicated connection when it is free, or a pooled `Db`'s
/// slot 0 when a permit and its connection are free and fit to lend (no
/// clock is read for the metrics). A transaction's connection always goes
/// through [`lease_timed`].
fn lease_now<DB: sqlx::Database>(conn: &Conn<DB>) -> Result<Lease<DB>, Taken<DB>> {
    let pooled = match conn {
        Conn::Single(c) => {
            return c
                .clone()
                .try_lock_owned()
                .map(Lease::Single)
                .map_err(|_| (None, None))
        }
        Conn::Tx(_) => return Err((None, None)),
        Conn::Pool(p) => p,
    };
    let slots = &*pooled.slots;
    let Ok(permit) = slots.permits.clone().try_acquire_owned() else {
        return Err((None, None));
    };
    let Ok(guard) = slots.slots[0].clone().try_lock_owned() else {
        return Err((Some(permit), None));
    };
    let ready =
        !slots.limits.test_before_acquire && guard.as_ref().is_some_and(|c| slots.is_fresh(c));
    if !ready {
        return Err((Some(permit), Some(guard)));
    }
    match OwnedMutexGuard::try_map(guard, Option::as_mut) {
        Ok(mut cached) => {
            cached.uses = cached.uses.saturating_add(1);
            slots.metrics.record_immediate();
            Ok(Lease::Cached(cached, slots.slots[0].clone(), permit))
        }
        Err(guard) => Err((Some(permit), Some(guard))),
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
    waited: Duration,
}

/// [`lease`] for one statement: see [`Lent`].
/// The waiting paths are boxed: their futures (a lock's, the pool's) would
/// otherwise sit, once per database, in every statement's future, which is
/// moved whole through each layer above it.
pub(super) async fn lend<DB: sqlx::Database>(conn: &Conn<DB>) -> Result<Lent<DB>, sqlx::Error> {
    let (lease, waited) = match lease_now(conn) {
        Ok(lease) => (lease, Duration::ZERO),
        Err(taken) => Box::pin(lease_waiting(conn, taken)).await?,
    };
    Ok(Lent {
        lease,
        finished: false,
        waited,
    })
}

impl<DB: sqlx::Database> Lent<DB> {
    /// How long this statement waited for a pool connection: zero when it
    /// found its connection free at once (no clock read). The per-query
    /// span's pool wait.
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
            Lease::Cached(cached, ..) => {
                cached.broken = broken;
                cached.last_used = Instant::now();
            }
            Lease::Pinned(pinned) => pinned.lease.finish(result),
            Lease::Single(_) => {}
        }
    }

    /// Makes sure this connection is never lent again, for one left in an
    /// unknown state (a BEGIN interrupted half-way): a pooled one is closed
    /// instead of going back to the pool. A dedicated connection cannot be
    /// replaced and is kept.
    pub(super) fn discard(&mut self) {
        match self {
            Lease::Cached(cached, slot, _) => {
                cached.broken = true;
                cached.connection.close_on_drop();
                empty_when_released(slot.clone());
            }
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
fn empty_when_released<DB: sqlx::Database>(slot: Slot<DB>) {
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
            Lease::Cached(cached, ..) => &cached.connection,
            Lease::Single(c) => c,
            Lease::Pinned(pinned) => &pinned.lease,
        }
    }
}

impl<DB: sqlx::Database> DerefMut for Lease<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            Lease::Cached(cached, ..) => &mut cached.connection,
            Lease::Single(c) => c,
            Lease::Pinned(pinned) => &mut pinned.lease,
        }
    }
}
