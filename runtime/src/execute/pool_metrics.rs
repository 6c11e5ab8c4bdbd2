//! What a pooled [`Db`] reports about its connections: [`Db::pool_status`].
//!
//! Every lease updates a few atomics (relaxed: the numbers are for dashboards,
//! not for synchronisation), so reading the status takes no lock on the query
//! path and allocates nothing. A lease that finds its first connection free
//! (the serial case, most leases) only bumps the first histogram bucket: it
//! took a permit and a `try_lock`, no time worth a clock read.

use super::lease::{Conn, Pooled};
use super::{Db, Target};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the acquire-latency buckets; a last bucket holds the rest.
/// From "took the free cached connection" (well under 50 µs) through a pool
/// acquire on a local server (about 0.1–1 ms) to waiting for a busy pool.
pub const ACQUIRE_BUCKETS: [Duration; 12] = [
    Duration::from_micros(50),
    Duration::from_micros(100),
    Duration::from_micros(250),
    Duration::from_micros(500),
    Duration::from_millis(1),
    Duration::from_millis(5),
    Duration::from_millis(10),
    Duration::from_millis(50),
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(5),
];

const BUCKETS: usize = ACQUIRE_BUCKETS.len() + 1;

/// A snapshot of one pool, from [`Db::pool_status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolStatus {
    /// Open connections (idle or lent), at most `max_connections`.
    pub size: u32,
    /// Open connections no statement holds: idle in sqlx's pool, plus those
    /// strata keeps checked out for statements (`lease/slots.rs`) that no
    /// statement is using.
    pub idle: u32,
    /// Open connections a statement or transaction holds: `size - idle`.
    pub in_use: u32,
    /// Statements (and transactions beginning) waiting for a connection now.
    pub waiting: u32,
    /// `PoolOptions::max_connections`.
    pub max_connections: u32,
    /// Acquires that gave up after `acquire_timeout` ([`crate::Error::PoolTimedOut`]).
    pub timeouts: u64,
    /// Connections closed because they reached `PoolOptions::max_uses`.
    pub recycled: u64,
    /// How long each lease waited for its connection.
    pub acquire_latency: AcquireHistogram,
}

/// Acquire latencies in fixed buckets ([`ACQUIRE_BUCKETS`]): not cumulative,
/// `counts[i]` is the number of acquires that took at most
/// `ACQUIRE_BUCKETS[i]` and more than the bound before it; the last count is
/// everything above the last bound. Lends of a free first connection count
/// in the first bucket without being timed (`sum` leaves them out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquireHistogram {
    pub counts: [u64; BUCKETS],
    /// Total time of the timed acquires.
    pub sum: Duration,
}

impl AcquireHistogram {
    /// Every acquire counted.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// `(upper bound, count)` per bucket; the last bound is `None` (+Inf).
    pub fn buckets(&self) -> impl Iterator<Item = (Option<Duration>, u64)> + '_ {
        ACQUIRE_BUCKETS
            .iter()
            .copied()
            .map(Some)
            .chain(std::iter::once(None))
            .zip(self.counts.iter().copied())
    }
}

/// The counters a pool's leases update; shared by every clone of the `Db`
/// (and by the pool's release hook, for `max_uses`).
#[derive(Debug, Default)]
pub(crate) struct PoolMetrics {
    pub(super) waiting: AtomicU32,
    timeouts: AtomicU64,
    recycled: AtomicU64,
    buckets: [AtomicU64; BUCKETS],
    sum_nanos: AtomicU64,
}

impl PoolMetrics {
    /// A lease that took the free first connection: no wait to time.
    pub(super) fn record_immediate(&self) {
        self.buckets[0].fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn record_wait(&self, waited: Duration) {
        let bucket = ACQUIRE_BUCKETS
            .iter()
            .position(|bound| waited <= *bound)
            .unwrap_or(ACQUIRE_BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub(super) fn record_timeout(&self) {
        self.timeouts.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_recycled(&self) {
        self.recycled.fetch_add(1, Ordering::Relaxed);
    }

    fn histogram(&self) -> AcquireHistogram {
        AcquireHistogram {
            counts: std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed)),
            sum: Duration::from_nanos(self.sum_nanos.load(Ordering::Relaxed)),
        }
    }
}

/// Counts a waiting lease for as long as it lives (dropped when the lease
/// gets its connection, fails, or is cancelled).
pub(super) struct Waiting<'a>(&'a PoolMetrics);

impl<'a> Waiting<'a> {
    pub(super) fn start(metrics: &'a PoolMetrics) -> Self {
        metrics.waiting.fetch_add(1, Ordering::Relaxed);
        Waiting(metrics)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

fn status<DB: sqlx::Database>(pooled: &Pooled<DB>) -> PoolStatus {
    let metrics = pooled.metrics();
    let size = pooled.pool.size();
    let idle = u32::try_from(pooled.pool.num_idle())
        .unwrap_or(u32::MAX)
        .saturating_add(pooled.free_connections())
        .min(size);
    PoolStatus {
        size,
        idle,
        in_use: size - idle,
        waiting: metrics.waiting.load(Ordering::Relaxed),
        max_connections: pooled.pool.options().get_max_connections(),
        timeouts: metrics.timeouts.load(Ordering::Relaxed),
        recycled: metrics.recycled.load(Ordering::Relaxed),
        acquire_latency: metrics.histogram(),
    }
}

impl Db {
    /// The pool's connections, waiters and acquire latencies now; `None` for
    /// a `Db` that is not a pool ([`Db::connect_single`], or the `Db` a
    /// transaction body is given). Cheap: a few atomic loads and a
    /// `try_lock` per connection slot, no query.
    pub fn pool_status(&self) -> Option<PoolStatus> {
        match &self.target {
            Target::Postgres(Conn::Pool(p)) => Some(status(p)),
            Target::Sqlite(Conn::Pool(p)) => Some(status(p)),
            Target::MySql(Conn::Pool(p)) => Some(status(p)),
            _ => None,
        }
    }
}
