//! Pool construction per dialect, with strata's defaults.

use super::max_uses::UseCounts;
use super::pool_metrics::PoolMetrics;
use crate::error::{Error, Result};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Pool settings (sqlx's, with strata's defaults, plus `max_uses`).
///
/// # Sizing
///
/// `max_connections` defaults to 10. A connection is busy only while a
/// statement runs on it, and a database server does its work with its CPU
/// cores and disks, so past a few connections per core more connections only
/// queue inside the server instead of in the pool (and cost it memory: a
/// PostgreSQL connection is a process). The classic starting point is
/// PostgreSQL's wiki formula, `connections = cores * 2 +
/// effective_spindle_count` of the *database* machine (an SSD counts as one
/// or two spindles): 10 fits a 4-core server, and is sqlx's and
/// node-postgres's default too. The hard limit is the server's: the sum of
/// `max_connections` over every instance of every application (and
/// PgBouncer's server pool, migrations, consoles) must stay at or under the
/// server's `max_connections` minus a reserve for administrators
/// (PostgreSQL's default `max_connections` is 100 with 3 reserved; MariaDB's
/// 151). Ten instances of a service with the default pool already use 100.
/// Behind PgBouncer, the pool may be larger than the server's limit: the
/// pooler shares server connections among clients.
///
/// A pooled `Db` keeps the connections its statements use checked out of
/// sqlx's pool between statements (`lease/slots.rs`; a burst's go back
/// after a second unused), within `max_connections`: with 1, every
/// statement takes turns on that one connection.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Open connections at most (default 10; see Sizing above).
    pub max_connections: u32,
    /// Connections kept open when idle (default 0: a quiet service holds
    /// none of the server's slots beyond the cached one).
    pub min_connections: u32,
    /// How long a statement waits for a free connection before failing with
    /// [`Error::PoolTimedOut`] (default 30 s, sqlx's: long enough to ride
    /// out a burst, short enough that a wedged pool surfaces as errors). A
    /// latency-sensitive service may prefer a few seconds.
    pub acquire_timeout: Duration,
    /// An idle connection is closed after this long (default 10 min).
    pub idle_timeout: Option<Duration>,
    /// A connection is closed after this long, idle or not, once its
    /// statement ends (default 30 min), so server-side memory does not grow
    /// without bound and load balancers and failovers see reconnects.
    pub max_lifetime: Option<Duration>,
    /// A connection is closed after serving this many statements (default
    /// `None`: no limit), as node-postgres's and Prisma's `maxUses`: with a
    /// database behind a TCP load balancer, long-lived connections keep
    /// going to the servers they first reached, and recycling them spreads
    /// load onto servers added since. Counted exactly for every statement
    /// strata lends a connection to; checkouts straight from sqlx's pool
    /// (`Db::as_postgres()` and the like, and sqlx's own check at connect)
    /// are counted at release by the connection's opening time (see
    /// `max_uses.rs`: two connections opened within 0.1 ms of each other
    /// may be recycled early). A connection that goes back to sqlx's pool
    /// and is later lent by strata again starts a fresh count there.
    /// `Some(0)` is taken as `Some(1)`.
    pub max_uses: Option<u32>,
    /// Pings a connection before lending it, sqlx's `test_before_acquire`;
    /// strata applies it to its cached connection too. Off by default: see
    /// BENCHMARKS.md, the ping costs a round trip on every statement, and a
    /// dead connection still surfaces as an error on use (after which it is
    /// replaced).
    pub test_before_acquire: bool,
    /// How long a statement waits for a row or table lock before failing with
    /// [`Error::Timeout`]: PostgreSQL `lock_timeout`, MySQL
    /// `innodb_lock_wait_timeout` (whole seconds, at least 1), SQLite
    /// `busy_timeout`. `None` keeps each database's default (SQLite: 5 s).
    pub lock_timeout: Option<Duration>,
    /// Prepared statements each connection keeps (sqlx's LRU per
    /// connection; default 100, sqlx's). strata renders one SQL text per
    /// query shape, values always bound, so an application's distinct
    /// statements are its query shapes, and a cache at least that large
    /// skips the prepare round trip on every repeat. 0 prepares and closes
    /// each statement every time (BENCHMARKS.md, "Pool and statement
    /// cache"); useful only to bound server memory with very many shapes.
    pub statement_cache_capacity: usize,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(30),
            idle_timeout: Some(Duration::from_secs(600)),
            max_lifetime: Some(Duration::from_secs(1800)),
            max_uses: None,
            test_before_acquire: false,
            lock_timeout: None,
            statement_cache_capacity: 100,
        }
    }
}

impl PoolOptions {
    fn apply<DB: sqlx::Database>(&self, metrics: &Arc<PoolMetrics>) -> sqlx::pool::PoolOptions<DB> {
        let options = sqlx::pool::PoolOptions::new()
            .max_connections(self.max_connections)
            .min_connections(self.min_connections)
            .acquire_timeout(self.acquire_timeout)
            .idle_timeout(self.idle_timeout)
            .max_lifetime(self.max_lifetime)
            .test_before_acquire(self.test_before_acquire);
        match self.max_uses {
            None => options,
            Some(max_uses) => {
                let counts = Arc::new(UseCounts::new(
                    max_uses,
                    self.max_connections,
                    metrics.clone(),
                ));
                options.after_release(move |_, meta| {
                    let keep = counts.released(meta.age);
                    Box::pin(async move { Ok(keep) })
                })
            }
        }
    }
}

pub(super) enum AnyPool {
    Postgres(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
    MySql(sqlx::MySqlPool),
}

pub(crate) enum AnyOptions {
    Postgres(sqlx::postgres::PgConnectOptions),
    Sqlite(sqlx::sqlite::SqliteConnectOptions),
    MySql(sqlx::mysql::MySqlConnectOptions),
}

/// The statement that sets MySQL's lock wait for a session, which MySQL has no
/// connect option for.
pub(super) fn mysql_lock_wait(lock_timeout: Option<Duration>) -> Option<String> {
    lock_timeout.map(|t| {
        let seconds = t.as_secs_f64().ceil().max(1.0) as u64;
        format!("SET SESSION innodb_lock_wait_timeout = {seconds}")
    })
}

/// How many rows a SQLite connection's worker thread may read ahead of the
/// task consuming them (sqlx's `row_buffer_size`; sqlx's default is 50). sqlx
/// runs each SQLite connection on a thread of its own and hands rows over a
/// bounded channel: each time the channel runs empty the reading task parks
/// and the worker must wake it, and each time it runs full the worker blocks
/// and the reader must wake it, a context switch or two apiece. With 50 the
/// reading side of a 10,000-row read parked ~190-470 times per query, with 256
/// ~35-130 times, and the read took less time on both sides of the bench
/// (BENCHMARKS.md, 2026-11-26); 512 and 1,024 were no faster. It changes no
/// instruction count (callgrind) and nothing for a point query: the channel
/// allocates as rows arrive. The cost is memory only while a reader lags
/// behind: up to 256 rows queued per connection.
const SQLITE_ROW_BUFFER: usize = 256;

/// Connection options for `url`, with strata's per-dialect settings.
pub(crate) fn connect_options(url: &str, lock_timeout: Option<Duration>) -> Result<AnyOptions> {
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
    match scheme {
        "postgres" | "postgresql" => {
            let mut options = sqlx::postgres::PgConnectOptions::from_str(url)?;
            if let Some(t) = lock_timeout {
                options = options.options([("lock_timeout", format!("{}ms", t.as_millis()))]);
            }
            Ok(AnyOptions::Postgres(options))
        }
        "mysql" | "mariadb" => {
            let url = url.replacen("mariadb:", "mysql:", 1);
            Ok(AnyOptions::MySql(FromStr::from_str(&url)?))
        }
        "sqlite" => Ok(AnyOptions::Sqlite(
            sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(lock_timeout.unwrap_or(Duration::from_secs(5)))
                .row_buffer_size(SQLITE_ROW_BUFFER),
        )),
        _ => Err(Error::InvalidUrl {
            url: redact(url),
            reason:
                "expected a URL starting with sqlite:, postgres:, postgresql:, mysql: or mariadb:",
        }),
    }
}

/// A pool on `url`; `metrics` is the one the `Db`'s leases update, which
/// the pool's release hook also counts recycled connections in.
pub(super) async fn connect(
    url: &str,
    options: PoolOptions,
    metrics: &Arc<PoolMetrics>,
) -> Result<AnyPool> {
    let options = settle(url, options);
    let cache = options.statement_cache_capacity;
    Ok(match connect_options(url, options.lock_timeout)? {
        AnyOptions::Postgres(o) => {
            let mut pool = options.apply(metrics);
            if cache == 0 {
                // Unnamed statements (PgBouncer mode): see pgbouncer::prime.
                pool = pool.after_connect(|conn, _| Box::pin(super::pgbouncer::prime(conn)));
            }
            AnyPool::Postgres(pool.connect_with(o.statement_cache_capacity(cache)).await?)
        }
        AnyOptions::MySql(o) => {
            let o = o.statement_cache_capacity(cache);
            let mut pool = options.apply(metrics);
            if let Some(sql) = mysql_lock_wait(options.lock_timeout) {
                let sql: Arc<str> = sql.into();
                pool = pool.after_connect(move |conn: &mut sqlx::MySqlConnection, _| {
                    let sql = sql.clone();
                    Box::pin(async move {
                        use sqlx::Executor as _;
                        conn.execute(super::trusted(&sql)).await.map(drop)
                    })
                });
            }
            AnyPool::MySql(pool.connect_with(o).await?)
        }
        AnyOptions::Sqlite(o) => AnyPool::Sqlite(
            options
                .apply(metrics)
                .connect_with(o.statement_cache_capacity(cache))
                .await?,
        ),
    })
}

/// `options` as the pool on `url` uses them (the leases apply the same limits
/// to the cached connection).
pub(super) fn settle(url: &str, mut options: PoolOptions) -> PoolOptions {
    if url.starts_with("sqlite:") && is_in_memory(url) {
        // Each connection to `sqlite::memory:` is its own empty database,
        // so the pool must keep exactly one, forever.
        options.max_connections = 1;
        options.min_connections = 1;
        options.idle_timeout = None;
        options.max_lifetime = None;
        options.max_uses = None;
    }
    options
}

fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The URL without its password, for error messages.
pub(super) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            let credentials = &url[start + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..start + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
