//! Read replicas: which target a statement runs on.
//!
//! A `Db` built with `.replica(url)` sends each statement that only reads to
//! its replicas in turn (round robin: no bookkeeping on the hot path, and
//! with replicas of one size the load evens out; least-busy would need each
//! pool's in-use count read per statement, which strata's lease hides, since
//! a serial workload keeps one connection checked out). Writes, statements
//! inside a transaction and locking reads never come here with `read` set.
//!
//! A replica that cannot be reached (down at `connect`, or a read on it fails
//! with a connection error) is set aside: reads go to the primary, one
//! `strata::replica` warning says so, and a background probe (one connection
//! attempt, never a user's statement) tries it again after 1 s, then 2, 4..
//! up to 30 s between tries, until it answers. The read that met the failure
//! is run once more on the primary, so the caller sees no error. Once the
//! replica is back, each pool connection kept from before the outage fails
//! one read (run again on the primary) and is replaced, without setting the
//! replica aside again.
//!
//! Replicas lag behind the primary: a read right after a write may not see
//! it there. [`Db::primary`] reads from the primary.

use super::lease::Conn;
use super::{pool, Db, PoolOptions, Target};
use crate::error::{Error, Result};
use crate::render::Dialect;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long one probe (a connection attempt) may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// A replica's pool waits at most this long for a connection: a server that
/// went away is retried by sqlx's pool until the acquire timeout, and a read
/// should reach the primary sooner than the primary's 30 s default.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A replica warns at most this often: one that fails again soon after it
/// came back (another dead connection of before) is the same outage.
const WARN_INTERVAL: Duration = Duration::from_secs(60);
/// How long after a replica came back a broken connection is taken for
/// one kept from before the outage.
const STALE_WINDOW: Duration = Duration::from_secs(60);

/// Where the reads of one `Db` go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Reads {
    /// To a replica, if there is one that answers.
    #[default]
    Routed,
    /// To the primary ([`Db::primary`]).
    Primary,
}

/// The replicas of a `Db`, shared by all its clones.
#[derive(Debug)]
pub(super) struct Replicas {
    members: Box<[Arc<Replica>]>,
    next: AtomicUsize,
}

pub(super) struct Replica {
    url: String,
    /// The URL without its password, for messages.
    name: String,
    options: PoolOptions,
    /// The pool, made once the replica first answered (it may be down when
    /// the `Db` connects).
    target: OnceLock<Target>,
    /// `health` is `Up`; read without the lock on every statement.
    up: AtomicBool,
    health: Mutex<Health>,
    warned: Mutex<Option<Instant>>,
    /// How many more connections kept from before an outage may fail
    /// without setting the replica aside again, until when: strata keeps
    /// the pool's connections checked out between statements (lease.rs),
    /// so after a restart each is dead until a read fails on it and
    /// replaces it.
    stale: Mutex<(u32, Instant)>,
}

#[derive(Debug, Clone, Copy)]
enum Health {
    Up,
    /// Set aside until `retry`; then one background probe at a time.
    Down {
        retry: Instant,
        failures: u32,
        probing: bool,
    },
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("url", &self.name)
            .field("up", &self.up.load(Ordering::Relaxed))
            .finish()
    }
}

impl Replicas {
    /// Checks each URL names the primary's kind of database, then connects
    /// each replica that answers. One that does not is set aside (with a
    /// warning) and probed later: a replica down at startup must not keep
    /// the application from starting.
    pub(super) async fn connect(
        primary: Dialect,
        urls: Vec<String>,
        options: &PoolOptions,
    ) -> Result<Option<Replicas>> {
        if urls.is_empty() {
            return Ok(None);
        }
        let options = PoolOptions {
            acquire_timeout: options.acquire_timeout.min(ACQUIRE_TIMEOUT),
            ..options.clone()
        };
        let mut members = Vec::with_capacity(urls.len());
        for url in urls {
            let name = pool::redact(&url);
            if dialect_of(&url)? != primary {
                return Err(Error::InvalidUrl {
                    url: name,
                    reason: "a replica must be the same kind of database as the primary \
                             (its URL scheme names another one)",
                });
            }
            members.push(Arc::new(Replica {
                url,
                name,
                options: options.clone(),
                target: OnceLock::new(),
                up: AtomicBool::new(false),
                health: Mutex::new(Health::Up),
                warned: Mutex::new(None),
                stale: Mutex::new((0, Instant::now())),
            }));
        }
        let starts: Vec<_> = members
            .iter()
            .map(|member| tokio::spawn(member.clone().start()))
            .collect();
        for start in starts {
            // A panicked start leaves its replica without a pool: never used.
            let _ = start.await;
        }
        Ok(Some(Replicas {
            members: members.into(),
            next: AtomicUsize::new(0),
        }))
    }

    /// The next replica in turn that is up, if any.
    fn pick(&self) -> Option<&Target> {
        let n = self.members.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| &self.members[start.wrapping_add(i) % n])
            .find_map(|member| member.available().then(|| member.target.get()).flatten())
    }

    fn member_of(&self, target: &Target) -> Option<&Replica> {
        self.members
            .iter()
            .find(|m| m.target.get().is_some_and(|t| std::ptr::eq(t, target)))
            .map(|m| &**m)
    }

    pub(super) async fn close(&self) {
        for member in self.members.iter() {
            if let Some(target) = member.target.get() {
                target.close().await;
            }
        }
    }
}

impl Replica {
    async fn start(self: Arc<Self>) {
        match self.check().await {
            Ok(()) => self.up.store(true, Ordering::Relaxed),
            Err(e) => self.set_aside(&e),
        }
    }

    /// One connection attempt, then the pool if there is none yet.
    async fn check(&self) -> std::result::Result<(), String> {
        let answered = tokio::time::timeout(PROBE_TIMEOUT, probe(&self.url)).await;
        match answered {
            Err(_) => return Err(format!("no answer within {PROBE_TIMEOUT:?}")),
            Ok(Err(e)) => return Err(e.to_string()),
            Ok(Ok(())) => {}
        }
        if self.target.get().is_none() {
            let pool = Db::connect_target(&self.url, self.options.clone());
            match tokio::time::timeout(PROBE_TIMEOUT, pool).await {
                Err(_) => return Err(format!("no connection within {PROBE_TIMEOUT:?}")),
                Ok(Err(e)) => return Err(e.to_string()),
                // Only one check runs at a time, so the slot is empty.
                Ok(Ok(target)) => drop(self.target.set(target)),
            }
        }
        Ok(())
    }

    /// Whether reads may go here now. A replica set aside whose back-off has
    /// passed is probed in the background; reads wait for its answer on the
    /// primary.
    fn available(self: &Arc<Self>) -> bool {
        if self.up.load(Ordering::Relaxed) {
            return true;
        }
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *health {
            Health::Up => true,
            Health::Down { probing: true, .. } => false,
            Health::Down { retry, probing, .. } => {
                if Instant::now() >= *retry {
                    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                        *probing = true;
                        runtime.spawn(self.clone().probe_again());
                    }
                }
                false
            }
        }
    }

    async fn probe_again(self: Arc<Self>) {
        let result = self.check().await;
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        match (result, &mut *health) {
            (Ok(()), _) => {
                *health = Health::Up;
                *self.stale.lock().unwrap_or_else(|e| e.into_inner()) =
                    (self.options.max_connections, Instant::now() + STALE_WINDOW);
                self.up.store(true, Ordering::Relaxed);
                tracing::info!(target: "strata::replica", replica = %self.name,
                    "read replica answers again: reads go to it");
            }
            (
                Err(error),
                Health::Down {
                    retry,
                    failures,
                    probing,
                },
            ) => {
                *failures = failures.saturating_add(1);
                *retry = Instant::now() + backoff(*failures);
                *probing = false;
                tracing::debug!(target: "strata::replica", replica = %self.name, %error,
                    "read replica still unreachable; next try in {:?}", backoff(*failures));
            }
            (Err(_), Health::Up) => {}
        }
    }

    /// One of the connections kept from before an outage failed: true
    /// while fewer than the pool's size have, within [`STALE_WINDOW`] of
    /// the replica coming back.
    fn take_stale(&self) -> bool {
        let mut stale = self.stale.lock().unwrap_or_else(|e| e.into_inner());
        let (left, until) = &mut *stale;
        if *left == 0 || Instant::now() >= *until {
            return false;
        }
        *left -= 1;
        true
    }

    /// Takes this replica out of the rotation. Warns once per outage: reads
    /// failing on it concurrently, probes failing later, and failures soon
    /// after it came back (within [`WARN_INTERVAL`]) say nothing more.
    fn set_aside(&self, error: &dyn std::fmt::Display) {
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        if let Health::Down { .. } = *health {
            return;
        }
        let now = Instant::now();
        *health = Health::Down {
            retry: now + FIRST_BACKOFF,
            failures: 1,
            probing: false,
        };
        self.up.store(false, Ordering::Relaxed);
        drop(health);
        let mut warned = self.warned.lock().unwrap_or_else(|e| e.into_inner());
        if warned.is_some_and(|at| now.duration_since(at) < WARN_INTERVAL) {
            tracing::debug!(target: "strata::replica", replica = %self.name, %error,
                "read replica unreachable again: its reads go to the primary");
            return;
        }
        *warned = Some(now);
        tracing::warn!(target: "strata::replica", replica = %self.name, %error,
            "read replica unreachable: its reads go to the primary until it answers again \
             (retried in the background, first after {FIRST_BACKOFF:?})");
    }
}

fn backoff(failures: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(1 << failures.saturating_sub(1).min(5))
        .min(MAX_BACKOFF)
}

fn dialect_of(url: &str) -> Result<Dialect> {
    Ok(match pool::connect_options(url, None)? {
        pool::AnyOptions::Postgres(_) => Dialect::Postgres,
        pool::AnyOptions::Sqlite(_) => Dialect::Sqlite,
        pool::AnyOptions::MySql(_) => Dialect::MySql,
    })
}

/// One connection attempt, closed again: sqlx's pool would retry a refused
/// connection until its acquire timeout.
async fn probe(url: &str) -> Result<()> {
    use sqlx::Connection as _;
    match pool::connect_options(url, None)? {
        pool::AnyOptions::Postgres(o) => {
            sqlx::PgConnection::connect_with(&o).await?.close().await?
        }
        pool::AnyOptions::Sqlite(o) => {
            sqlx::SqliteConnection::connect_with(&o)
                .await?
                .close()
                .await?
        }
        pool::AnyOptions::MySql(o) => {
            sqlx::MySqlConnection::connect_with(&o)
                .await?
                .close()
                .await?
        }
    }
    Ok(())
}

/// What a failed read on a replica calls for.
enum Failure {
    /// The replica is gone: set it aside, run the read on the primary.
    Unreachable,
    /// The replica is fine but could not serve this statement (its pool is
    /// full, the read conflicted with replication, or it writes after all,
    /// e.g. a function called by `sql!`): run it on the primary.
    NotHere,
    /// The statement's own fault: the primary would fail it too.
    Statement,
}

/// The connection broke (as opposed to no connection being had at all).
fn stale_connection(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Io(_) | sqlx::Error::Protocol(_))
}

fn failure(error: &sqlx::Error, target: &Target) -> Failure {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => Failure::Unreachable,
        sqlx::Error::PoolTimedOut if target.saturated() => Failure::NotHere,
        sqlx::Error::PoolTimedOut => Failure::Unreachable,
        sqlx::Error::Database(e) => match e.code() {
            // Connection exceptions; the server shutting down or starting up.
            Some(code) if code.starts_with("08") || code.starts_with("57P") => Failure::Unreachable,
            // PostgreSQL cancels a standby's query that conflicts with WAL
            // replay as a serialization failure; 25006: a write refused by
            // a read-only server (nothing was written).
            Some(code) if code == "40001" || code == "25006" => Failure::NotHere,
            _ => Failure::Statement,
        },
        _ => Failure::Statement,
    }
}

impl Target {
    pub(super) fn dialect(&self) -> Dialect {
        match self {
            Target::Postgres(_) => Dialect::Postgres,
            Target::Sqlite(_) => Dialect::Sqlite,
            Target::MySql(_) => Dialect::MySql,
        }
    }

    fn is_pool(&self) -> bool {
        matches!(
            self,
            Target::Postgres(Conn::Pool(_))
                | Target::Sqlite(Conn::Pool(_))
                | Target::MySql(Conn::Pool(_))
        )
    }

    /// Every connection of the pool is lent out.
    fn saturated(&self) -> bool {
        fn full<DB: sqlx::Database>(conn: &Conn<DB>) -> bool {
            match conn {
                Conn::Pool(p) => p.pool.size() >= p.pool.options().get_max_connections(),
                _ => false,
            }
        }
        match self {
            Target::Postgres(c) => full(c),
            Target::Sqlite(c) => full(c),
            Target::MySql(c) => full(c),
        }
    }

    async fn close(&self) {
        match self {
            Target::Postgres(Conn::Pool(p)) => p.close().await,
            Target::Sqlite(Conn::Pool(p)) => p.close().await,
            Target::MySql(Conn::Pool(p)) => p.close().await,
            _ => {}
        }
    }
}

impl Db {
    /// The target for one statement: `read` is true for a statement that
    /// only reads (never a write with RETURNING, never a locking read). A
    /// transaction's `Db` and a dedicated connection always run on their
    /// own connection.
    pub(super) fn route(&self, read: bool) -> &Target {
        match &self.context.replicas {
            Some(replicas) if read && self.reads == Reads::Routed && self.target.is_pool() => {
                replicas.pick().unwrap_or(&self.target)
            }
            _ => &self.target,
        }
    }

    /// After a read that `route` sent to `used` failed with `error`: the
    /// primary, if the read should run again there (once; the replica could
    /// not serve it), or `None` to return the error. A replica that is gone
    /// is set aside (see the module's comment).
    pub(super) fn fallback(&self, used: &Target, error: &sqlx::Error) -> Option<&Target> {
        if std::ptr::eq(used, &self.target) {
            return None;
        }
        let replica = self.context.replicas.as_ref()?.member_of(used)?;
        match failure(error, used) {
            // A connection from before the outage the replica just came
            // back from: it is replaced at its next lend.
            Failure::Unreachable if stale_connection(error) && replica.take_stale() => {
                tracing::debug!(target: "strata::replica", replica = %replica.name, %error,
                    "a read replica connection from before its outage failed; \
                     running the read on the primary")
            }
            Failure::Unreachable => replica.set_aside(error),
            Failure::NotHere => tracing::debug!(target: "strata::replica", replica = %replica.name,
                %error, "read replica could not serve a read; running it on the primary"),
            Failure::Statement => return None,
        }
        Some(&self.target)
    }

    /// Whether a statement on `target` may have to run again on the primary
    /// (it is a replica), so its binds must be kept.
    pub(super) fn is_replica(&self, target: &Target) -> bool {
        !std::ptr::eq(target, &self.target)
    }

    /// This `Db` with every read on the primary: for reading your own
    /// writes, which a replica may not have replayed yet. Clones of it
    /// share the pools and settings of this one; a `Db` without replicas
    /// reads from the primary anyway.
    ///
    /// ```ignore
    /// let post = Post::create().title("Hi").exec(&db).await?;
    /// let again = Post::find_by_id(post.id).exec(&db.primary()).await?;
    /// ```
    pub fn primary(&self) -> Db {
        Db {
            reads: Reads::Primary,
            ..self.clone()
        }
    }

    /// Closes the replicas' pools (part of [`Db::close`]).
    pub(super) async fn close_replicas(&self) {
        if let Some(replicas) = &self.context.replicas {
            replicas.close().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_back_off_from_one_second_doubling_to_thirty() {
        let waits: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }
}
