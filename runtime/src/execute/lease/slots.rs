//! The connections a pooled `Db` keeps checked out of sqlx's pool: one slot
//! per `max_connections`, each holding a connection or empty.
//!
//! A sqlx checkout costs more than a point query on a local server: its
//! release pings the connection (a round trip) in a spawned task, on every
//! release. With one cached connection and the rest of the work going to
//! sqlx's pool, 32 tasks ran at sqlx's pool speed, and worse: a waiter that
//! raced the pool against the cached connection dropped its pool acquire
//! whenever the cached one came free first, which cancelled the connection
//! sqlx was opening for it, so the pool never grew and 32 tasks ran at one
//! connection's throughput (BENCHMARKS.md, "Pool and statement cache").
//!
//! So each slot keeps its connection between statements, a semaphore of
//! `max_connections` permits bounds the statements holding one, and a lease
//! takes the first free slot, filled if one is: serial work always gets slot
//! 0 (one connection, as before), concurrent work the next ones. A slot
//! beyond the first whose connection has had no statement for [`LINGER`]
//! gives it back to sqlx's pool, so a burst's connections return there
//! (where `Db::as_postgres` users and sqlx's idle timeout see them).

use super::super::pool::PoolOptions;
use super::super::pool_metrics::PoolMetrics;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

/// How long a burst's connection stays in its slot without a statement.
const LINGER: Duration = Duration::from_secs(1);

pub(in super::super) type Slot<DB> = Arc<Mutex<Option<Cached<DB>>>>;

pub(in super::super) struct Pooled<DB: sqlx::Database> {
    pub(in super::super) pool: sqlx::Pool<DB>,
    pub(super) slots: Arc<Slots<DB>>,
}

impl<DB: sqlx::Database> Clone for Pooled<DB> {
    fn clone(&self) -> Self {
        Pooled {
            pool: self.pool.clone(),
            slots: self.slots.clone(),
        }
    }
}

pub(super) struct Slots<DB: sqlx::Database> {
    pub(super) slots: Box<[Slot<DB>]>,
    pub(super) permits: Arc<Semaphore>,
    pub(super) limits: Limits,
    pub(super) metrics: Arc<PoolMetrics>,
}

/// The pool's own limits, applied to the slots' connections too, so they are
/// recycled like any other.
#[derive(Debug, Clone, Copy)]
pub(in super::super) struct Limits {
    max_connections: u32,
    acquire_timeout: Duration,
    idle_timeout: Option<Duration>,
    max_lifetime: Option<Duration>,
    max_uses: Option<u32>,
    /// Pings a slot's connection before each lend, as sqlx pings an idle
    /// connection before handing it out.
    pub(super) test_before_acquire: bool,
}

impl Limits {
    pub(in super::super) fn of(options: &PoolOptions) -> Self {
        Limits {
            max_connections: options.max_connections.max(1),
            acquire_timeout: options.acquire_timeout,
            idle_timeout: options.idle_timeout,
            max_lifetime: options.max_lifetime,
            max_uses: options.max_uses.map(|n| n.max(1)),
            test_before_acquire: options.test_before_acquire,
        }
    }
}

pub(in super::super) struct Cached<DB: sqlx::Database> {
    pub(super) connection: sqlx::pool::PoolConnection<DB>,
    acquired: Instant,
    pub(super) last_used: Instant,
    /// Lends so far, for `max_uses`.
    pub(super) uses: u32,
    /// Failed at the transport level: replaced before it is lent again.
    pub(super) broken: bool,
}

impl<DB: sqlx::Database> Pooled<DB> {
    pub(in super::super) fn new(
        pool: sqlx::Pool<DB>,
        limits: Limits,
        metrics: Arc<PoolMetrics>,
    ) -> Self {
        let n = limits.max_connections as usize;
        let slots = Arc::new(Slots {
            slots: (0..n).map(|_| Arc::new(Mutex::new(None))).collect(),
            permits: Arc::new(Semaphore::new(n)),
            limits,
            metrics,
        });
        if n > 1 || limits.idle_timeout.is_some() || limits.max_lifetime.is_some() {
            spawn_reaper(Arc::downgrade(&slots));
        }
        Pooled { pool, slots }
    }

    pub(in super::super) fn metrics(&self) -> &PoolMetrics {
        &self.slots.metrics
    }

    /// Slots holding a connection no statement has.
    pub(in super::super) fn free_connections(&self) -> u32 {
        let free = self
            .slots
            .slots
            .iter()
            .filter(|slot| slot.try_lock().is_ok_and(|cached| cached.is_some()));
        u32::try_from(free.count()).unwrap_or(u32::MAX)
    }

    /// Returns the slots' connections to the pool and closes the pool (which
    /// waits for every lent connection).
    pub(in super::super) async fn close(&self) {
        self.slots.permits.close();
        for slot in self.slots.slots.iter() {
            slot.lock().await.take();
        }
        self.pool.close().await;
    }

    /// The slow path of a lease: waits for a permit (at most the acquire
    /// timeout), takes a free slot, and readies its connection: recycles a
    /// spent one, pings if asked to, fills an empty slot from the pool.
    pub(super) async fn lease_slow(
        &self,
        permit: Option<OwnedSemaphorePermit>,
        held: Option<OwnedMutexGuard<Option<Cached<DB>>>>,
    ) -> Result<(super::CachedGuard<DB>, Slot<DB>, OwnedSemaphorePermit), sqlx::Error> {
        let s = &*self.slots;
        let deadline = tokio::time::Instant::now() + s.limits.acquire_timeout;
        let permit = match permit {
            Some(permit) => permit,
            None => {
                match tokio::time::timeout_at(deadline, s.permits.clone().acquire_owned()).await {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(_)) => return Err(sqlx::Error::PoolClosed),
                    Err(_) => return Err(sqlx::Error::PoolTimedOut),
                }
            }
        };
        let (mut guard, slot) = match held {
            Some(guard) => (guard, s.slots[0].clone()),
            None => s.free_slot().await,
        };
        if guard.as_ref().is_some_and(|c| !s.is_fresh(c)) {
            s.evict(&mut guard);
        } else if s.limits.test_before_acquire {
            s.test(&mut guard).await;
        }
        if guard.is_none() {
            let acquired = tokio::time::timeout_at(deadline, super::acquire(&self.pool))
                .await
                .unwrap_or(Err(sqlx::Error::PoolTimedOut))?;
            let now = Instant::now();
            *guard = Some(Cached {
                connection: acquired,
                acquired: now,
                last_used: now,
                uses: 0,
                broken: false,
            });
        }
        match OwnedMutexGuard::try_map(guard, Option::as_mut) {
            Ok(mut cached) => {
                cached.uses = cached.uses.saturating_add(1);
                Ok((cached, slot, permit))
            }
            // Filled just above.
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }
}

impl<DB: sqlx::Database> Slots<DB> {
    /// Whether a slot's connection may be lent as it is (without a ping).
    pub(super) fn is_fresh(&self, cached: &Cached<DB>) -> bool {
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

    /// A slot no statement holds: the first with a connection, else the
    /// first empty one. The caller's permit means one is free but for
    /// momentary holders (a status read, a cleanup), which are waited out.
    async fn free_slot(&self) -> (OwnedMutexGuard<Option<Cached<DB>>>, Slot<DB>) {
        loop {
            let mut empty = None;
            for slot in self.slots.iter() {
                if let Ok(guard) = slot.clone().try_lock_owned() {
                    if guard.is_some() {
                        return (guard, slot.clone());
                    }
                    if empty.is_none() {
                        empty = Some((guard, slot.clone()));
                    }
                }
            }
            if let Some(empty) = empty {
                return empty;
            }
            tokio::task::yield_now().await;
        }
    }

    /// Takes out of `slot` a connection that may not be lent again: one that
    /// served `max_uses` is closed (as sqlx closes one past its lifetime),
    /// the others go back to the pool, which closes them if they are past
    /// its limits.
    fn evict(&self, slot: &mut Option<Cached<DB>>) {
        if let Some(mut cached) = slot.take() {
            if self.limits.max_uses.is_some_and(|max| cached.uses >= max) {
                cached.connection.close_on_drop();
                self.metrics.record_recycled();
            }
        }
    }

    /// With `test_before_acquire`, pings the slot's connection; one that
    /// does not answer is closed, and the caller fills the slot afresh.
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

    /// Gives back what the slots should not keep: a burst's connections
    /// unused for [`LINGER`] (to sqlx's pool), and any past the pool's
    /// limits.
    fn reap(&self) {
        let now = Instant::now();
        for (i, slot) in self.slots.iter().enumerate() {
            let Ok(mut guard) = slot.try_lock() else {
                continue;
            };
            let lingered = |c: &Cached<DB>| i > 0 && now.duration_since(c.last_used) >= LINGER;
            if guard
                .as_ref()
                .is_some_and(|c| lingered(c) || !self.is_fresh(c))
            {
                self.evict(&mut guard);
            }
        }
    }
}

/// Runs [`Slots::reap`] every [`LINGER`] for as long as the `Db` lives (and
/// its runtime does).
fn spawn_reaper<DB: sqlx::Database>(slots: Weak<Slots<DB>>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(LINGER);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match slots.upgrade() {
                Some(slots) => slots.reap(),
                None => break,
            }
        }
    });
}
